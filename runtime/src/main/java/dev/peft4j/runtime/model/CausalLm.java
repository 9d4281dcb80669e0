package dev.peft4j.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.runtime.nn.Module;
import dev.peft4j.runtime.nn.Parameter;
import dev.peft4j.runtime.nn.Precision;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A decoder-only causal language model, as the trainer, the generator, evaluation, merge and the plugin test kit
 * see it, whatever its family: a tree of modules with Hugging Face's parameter names, a forward pass cut into stages
 * (for a staged backward pass: gradient checkpointing, layer-wise optimizer steps, a chunked loss), and its config.
 * A {@link ModelFamily} builds it.
 */
public interface CausalLm {

  ModelConfig config();

  /** The dtype it computes in and stores frozen weights in. */
  Precision precision();

  /** The root of its module tree (named children and parameters, replaceable linear layers). */
  Module modules();

  /** Every parameter by its dotted Hugging Face name, in the order of the model's state dict. */
  default Map<String, Parameter> namedParameters() {
    return modules().namedParameters();
  }

  /** Its structure as the API describes it to methods (module names, layer count). */
  ModelInfo info();

  /** The decoder layer the parameter named {@code name} belongs to, if any. */
  OptionalInt layerOf(String name);

  /** The forward pass over one batch, in stages. */
  ModelStages stages(NDArray inputIds, int[][] attentionMask);

  /** Stages of a forward pass: the embeddings, each decoder layer, the head. */
  int stageCount();

  /** See {@link ModelStages#stageOf}. */
  int stageOf(String parameterName);

  /**
   * Logits for every position.
   *
   * @param inputIds {@code [B, T]} INT64
   * @param attentionMask {@code [B][T]}, 1 for real tokens and 0 for padding; null when there is none
   * @return {@code [B, T, vocab]} FLOAT32, whatever the precision
   */
  NDArray forward(NDArray inputIds, int[][] attentionMask);

  /**
   * A decoding session over {@code batch} rows with a key/value cache, its arrays made on {@code manager} (see
   * {@link DecodingSession}); the caller closes it.
   */
  DecodingSession decoder(NDManager manager, int batch);
}
