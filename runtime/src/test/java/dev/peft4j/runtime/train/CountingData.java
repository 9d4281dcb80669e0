package dev.peft4j.runtime.train;

import dev.peft4j.runtime.data.Batch;
import java.util.Random;

/** Sequences that count up modulo the vocabulary from a random start: learnable by a tiny model. */
public final class CountingData implements TrainingData {

  private final int batches;
  private final int batchSize;
  private final int length;
  private final int vocab;
  private final long seed;

  public CountingData(int batches, int batchSize, int length, int vocab, long seed) {
    this.batches = batches;
    this.batchSize = batchSize;
    this.length = length;
    this.vocab = vocab;
    this.seed = seed;
  }

  @Override
  public int batchesPerEpoch() {
    return batches;
  }

  @Override
  public Batch batch(int epoch, int index) {
    Random random = new Random(seed * 1_000_003L + epoch * 1009L + index);
    int[][] ids = new int[batchSize][length];
    int[][] labels = new int[batchSize][length];
    int[][] mask = new int[batchSize][length];
    for (int b = 0; b < batchSize; b++) {
      int start = random.nextInt(vocab);
      int real = length - (b == 0 ? 2 : 0);
      for (int t = 0; t < length; t++) {
        boolean isReal = t < real;
        ids[b][t] = isReal ? (start + t) % vocab : 0;
        labels[b][t] = isReal && t > 0 ? ids[b][t] : CausalLmLoss.IGNORE;
        mask[b][t] = isReal ? 1 : 0;
      }
    }
    return new Batch(ids, labels, mask);
  }
}
