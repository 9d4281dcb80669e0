package dev.peft4j.runtime.plan;

/**
 * Bytes a training run holds at its peak, by what holds them (see {@link MemoryModel} for each part).
 *
 * @param weights every parameter as stored (fp32; 4-bit codes and block scales for an NF4 base)
 * @param gradients gradients held at the peak of a step
 * @param optimizerState optimizer state kept between steps (AdamW's two moments, or what a method holds)
 * @param activations what the forward pass of one micro-batch keeps until its backward pass ends
 * @param stepScratch the larger of the backward pass's transient gradients and the optimizer update's
 *     temporaries of one parameter (clipping, AdamW; freed parameter by parameter) beyond the activations, which
 *     the update after the backward pass reuses
 * @param runtime the process beyond what is priced: the JVM, libtorch, tokenizer, data, the loss plot
 *     (fitted to measured peaks)
 */
public record MemoryEstimate(
    long weights, long gradients, long optimizerState, long activations, long stepScratch, long runtime) {

  /** The estimated peak resident memory of {@code peft4j train}. */
  public long total() {
    return weights + gradients + optimizerState + activations + stepScratch + runtime;
  }
}
