package dev.peft4j.runtime.model;

import ai.djl.ndarray.NDArray;
import dev.peft4j.runtime.nn.FrozenProduct;

/**
 * A stage run again for its backward pass only (gradient checkpointing): where that backward pass starts.
 *
 * <p>A decoder layer's output is {@code h + P(t)}: the residual stream plus a last product P of the feed-forward
 * block. When P is the base model's own layer ({@link FrozenProduct}) and frozen, the backward pass needs it only for
 * the gradient of its input, {@code g·W}, never for its value, so the layer is run again without it: the backward
 * pass starts from {@code output} (h) with the stage's output gradient g and from {@code tail} (t) with {@code
 * product.inputGradient(g)}. transformers' non-reentrant checkpointing skips the same product: its recomputation stops as soon as the last tensor autograd
 * saved is made again, the product's weight, which autograd saves before the product runs (in torch.profiler's trace
 * of a bf16 TinyLlama layer the recomputed {@code down_proj} takes 0.1 ms, against 27 ms in the forward pass).
 *
 * @param output the stage's output, or its residual stream {@code h} when {@code tail} is set
 * @param tail the last product's input, or null when {@code output} is the whole output
 * @param product the frozen last product, or null
 */
public record Recomputed(NDArray output, NDArray tail, FrozenProduct product) {

  /** A stage run again whole: its backward pass starts from its output. */
  public static Recomputed whole(NDArray output) {
    return new Recomputed(output, null, null);
  }
}
