package dev.peft4j.runtime.model;

import ai.djl.ndarray.NDArray;

/**
 * A causal language model's forward pass over one batch, cut into stages so that the trainer can run the
 * backward pass stage by stage (gradient checkpointing, layer-wise optimizer steps, a loss computed in
 * chunks): stage 0 is the embeddings, stage {@code i + 1} decoder layer {@code i}, and the last stage the final
 * norm and the output head. Running them one after the other is the model's forward pass.
 */
public interface ModelStages {

  /** The embeddings, each decoder layer, the head. */
  int count();

  /**
   * Runs one stage.
   *
   * @param input the token ids {@code [B, T]} for stage 0, the hidden states the stage before returned otherwise
   *     (the last stage takes them with any leading dimensions, such as {@code [n, hidden]} rows)
   * @return hidden states {@code [B, T, hidden]} in the model's precision, or logits {@code [..., vocab]} from the
   *     last stage
   */
  NDArray forward(int stage, NDArray input);

  /**
   * Runs one stage again for its backward pass only (gradient checkpointing): its output need not be computed where
   * only its gradient is needed ({@link Recomputed}). By default the stage's forward pass, whole.
   */
  default Recomputed recompute(int stage, NDArray input) {
    return Recomputed.whole(forward(stage, input));
  }

  /**
   * The stage after whose backward pass the gradient of {@code parameterName} is complete: its decoder layer's,
   * the last for the final norm and the head, and 0 for everything else — the embeddings, which the head also
   * uses when they are tied, and any parameter the model does not place.
   */
  int stageOf(String parameterName);
}
