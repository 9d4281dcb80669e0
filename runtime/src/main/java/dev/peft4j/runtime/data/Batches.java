package dev.peft4j.runtime.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * The batches of a run, epoch after epoch. Each epoch visits every example once, in an order that depends only on the
 * seed, the epoch and the number of examples (a Fisher–Yates shuffle driven by {@link java.util.Random}, whose
 * sequence Java specifies), so that a run resumed from a {@link BatchPosition} sees exactly the batches it would have
 * seen. The last batch of an epoch may be smaller. Evaluation uses {@link #inOrder}.
 *
 * <p>A {@code Batches} holds no cursor: the caller keeps the position ({@link #next}), and saves it in checkpoints.
 */
public final class Batches {

  private final List<Example> examples;
  private final int batchSize;
  private final long seed;
  private final boolean shuffle;
  private final int padId;
  private volatile EpochOrder cached;

  private record EpochOrder(int epoch, int[] order) {}

  private Batches(List<Example> examples, int batchSize, long seed, boolean shuffle, int padId) {
    this.examples = List.copyOf(examples);
    if (this.examples.isEmpty()) {
      throw new IllegalArgumentException("there are no examples to make batches of");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
    }
    this.batchSize = batchSize;
    this.seed = seed;
    this.shuffle = shuffle;
    this.padId = padId;
  }

  /** Batches in a fresh seeded order each epoch (training). */
  public static Batches shuffled(List<Example> examples, int batchSize, long seed, int padId) {
    return new Batches(examples, batchSize, seed, true, padId);
  }

  /** Batches in the examples' order, the same every epoch (evaluation). */
  public static Batches inOrder(List<Example> examples, int batchSize, int padId) {
    return new Batches(examples, batchSize, 0, false, padId);
  }

  public int batchSize() {
    return batchSize;
  }

  /** Batches in an epoch: the examples divided by the batch size, rounded up. */
  public int batchesPerEpoch() {
    return (examples.size() + batchSize - 1) / batchSize;
  }

  /**
   * A number that changes when the examples or their order change: store it with a {@link BatchPosition} and compare
   * on resume, to tell the user that the data is not what the checkpoint was trained on.
   */
  public long fingerprint() {
    long hash = 1125899906842597L;
    for (Example example : examples) {
      hash = 31 * hash + example.hashCode();
    }
    return 31 * hash + examples.size();
  }

  /** The indices of the examples in the order epoch {@code epoch} visits them. */
  public int[] order(int epoch) {
    return orderOf(epoch).clone();
  }

  /** The examples of the batch at {@code position}, before collation. */
  public List<Example> examplesAt(BatchPosition position) {
    Objects.requireNonNull(position, "position is null");
    if (position.batch() >= batchesPerEpoch()) {
      throw new IllegalArgumentException("there is no batch " + position.batch() + " in an epoch of " + batchesPerEpoch()
          + " batches (" + examples.size() + " examples of batch size " + batchSize + "): the position comes from other "
          + "data or another batch size");
    }
    int[] order = orderOf(position.epoch());
    int from = position.batch() * batchSize;
    int to = Math.min(from + batchSize, order.length);
    List<Example> batch = new ArrayList<>(to - from);
    for (int i = from; i < to; i++) {
      batch.add(examples.get(order[i]));
    }
    return batch;
  }

  /** The batch at {@code position}, collated. */
  public Batch batch(BatchPosition position) {
    return Batch.collate(examplesAt(position), padId);
  }

  /** The position after {@code position}; after an epoch's last batch, the first of the next epoch. */
  public BatchPosition next(BatchPosition position) {
    return position.next(batchesPerEpoch());
  }

  /** Every batch of one epoch, in order (for evaluation, or a small data set). */
  public List<Batch> epoch(int epoch) {
    List<Batch> batches = new ArrayList<>(batchesPerEpoch());
    for (int i = 0; i < batchesPerEpoch(); i++) {
      batches.add(batch(new BatchPosition(epoch, i)));
    }
    return batches;
  }

  private int[] orderOf(int epoch) {
    EpochOrder known = cached;
    if (known != null && known.epoch() == epoch) {
      return known.order();
    }
    int[] order = new int[examples.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    if (shuffle) {
      Random random = new Random(seed * 0x9E3779B97F4A7C15L + epoch);
      for (int i = order.length - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int swap = order[i];
        order[i] = order[j];
        order[j] = swap;
      }
    }
    cached = new EpochOrder(epoch, order);
    return order;
  }
}
