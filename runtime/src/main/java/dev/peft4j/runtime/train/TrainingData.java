package dev.peft4j.runtime.train;

/**
 * Batches addressed by (epoch, index), the same every time they are asked for: a resumed run asks for
 * exactly the batches the interrupted one would have seen next.
 */
public interface TrainingData {

  int batchesPerEpoch();

  TokenBatch batch(int epoch, int index);
}
