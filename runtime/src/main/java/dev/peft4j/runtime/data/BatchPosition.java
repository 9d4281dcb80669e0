package dev.peft4j.runtime.data;

/**
 * Where a run is in its data: the epoch (from 0) and the batch of that epoch (from 0) that comes next. Saved in a
 * checkpoint, it lets a resumed run see exactly the batches it would have seen ({@link Batches#batch}).
 */
public record BatchPosition(int epoch, int batch) {

  /** The first batch of the first epoch. */
  public static final BatchPosition START = new BatchPosition(0, 0);

  public BatchPosition {
    if (epoch < 0 || batch < 0) {
      throw new IllegalArgumentException("epoch and batch must not be negative, got epoch " + epoch + ", batch " + batch);
    }
  }

  /** The position after this one, in epochs of {@code batchesPerEpoch} batches. */
  public BatchPosition next(int batchesPerEpoch) {
    return batch + 1 < batchesPerEpoch ? new BatchPosition(epoch, batch + 1) : new BatchPosition(epoch + 1, 0);
  }

  /** How many batches come before this position, in epochs of {@code batchesPerEpoch} batches. */
  public long batchesBefore(int batchesPerEpoch) {
    return (long) epoch * batchesPerEpoch + batch;
  }

  @Override
  public String toString() {
    return "epoch " + epoch + ", batch " + batch;
  }
}
