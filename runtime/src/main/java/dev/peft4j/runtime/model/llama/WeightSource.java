package dev.peft4j.runtime.model.llama;

import ai.djl.ndarray.NDArray;

/** Where a model's initial weights come from: a checkpoint on disk, or a random initialisation. */
@FunctionalInterface
public interface WeightSource {

  /**
   * The tensor called {@code name} (a dotted Hugging Face name), FLOAT32, of exactly {@code shape},
   * on the model's manager.
   */
  NDArray get(String name, long... shape);
}
