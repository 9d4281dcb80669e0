package dev.peft4j.runtime.train;

import dev.peft4j.runtime.data.Batch;
/**
 * Batches addressed by (epoch, index), the same every time they are asked for: a resumed run asks for
 * exactly the batches the interrupted one would have seen next.
 */
public interface TrainingData {

  int batchesPerEpoch();

  Batch batch(int epoch, int index);

  /** Identifies the data and its batching, so that a resumed run can tell it is given the same; 0 if unknown. */
  default long fingerprint() {
    return 0;
  }
}
