package dev.peft4j.tck;

import dev.peft4j.runtime.data.Batch;
import dev.peft4j.runtime.train.TrainingData;
import java.util.Arrays;
import java.util.Random;

/**
 * Batches of random tokens over the kit model's vocabulary, the same for the same (epoch, index): every token
 * is learned but the first, and the second row ends in padding, as real batches do.
 */
final class SyntheticData implements TrainingData {

  private final int batches;

  SyntheticData(int batches) {
    this.batches = batches;
  }

  @Override
  public int batchesPerEpoch() {
    return batches;
  }

  @Override
  public Batch batch(int epoch, int index) {
    Random random = new Random(KitModel.SEED * 1000 + epoch * 97L + index);
    int rows = KitModel.BATCH;
    int length = KitModel.LENGTH;
    int[][] ids = new int[rows][length];
    int[][] labels = new int[rows][length];
    int[][] mask = KitModel.attentionMask();
    for (int b = 0; b < rows; b++) {
      for (int t = 0; t < length; t++) {
        ids[b][t] = mask[b][t] == 1 ? 3 + random.nextInt(KitModel.VOCAB - 3) : 0;
      }
      labels[b] = Arrays.copyOf(ids[b], length);
      labels[b][0] = dev.peft4j.runtime.data.Example.IGNORE;
      for (int t = 0; t < length; t++) {
        if (mask[b][t] == 0) {
          labels[b][t] = dev.peft4j.runtime.data.Example.IGNORE;
        }
      }
    }
    return new Batch(ids, labels, mask);
  }
}
