package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;
import dev.peft4j.api.model.LinearLayer;

/**
 * A base model's own linear layer ({@link Linear}, or {@link Nf4Linear} on a 4-bit base), which can give the gradient
 * of its input without running its product: what gradient checkpointing needs of a layer's last product
 * ({@code dev.peft4j.runtime.model.Recomputed}).
 */
public interface FrozenProduct extends LinearLayer {

  /** Whether nothing of this layer trains: its weight and bias take no gradient. */
  boolean frozen();

  /**
   * The gradient of this product's input given that of its output, {@code g·W}, in the model's precision: what the
   * backward pass of {@link #forward} computes for its input.
   */
  NDArray inputGradient(NDArray outputGradient);
}
