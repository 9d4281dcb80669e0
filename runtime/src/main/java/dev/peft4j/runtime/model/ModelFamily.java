package dev.peft4j.runtime.model;

import com.google.gson.JsonObject;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.plan.Workload;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything the runtime knows about one family of models, keyed by {@code config.json}'s {@code model_type} (as
 * PEFT keys its defaults): how to read its config, build the model, describe its shapes and price its activations
 * for the planner, and which linear modules it has. One implementation a family; {@link ModelFamilies} holds them.
 */
public interface ModelFamily {

  /** The {@code model_type} values this family builds. */
  List<String> modelTypes();

  /**
   * Reads {@code json} (the contents of {@code file}) strictly: every field the family uses is read or refused.
   *
   * @throws ModelConfigException naming the file, the field and what to do
   */
  ModelConfig config(JsonObject json, Path file);

  /** The model of {@code config} with weights from {@code weights}, computing in {@code precision}. */
  CausalLm create(ModelConfig config, WeightSource weights, Precision precision);

  /** Its structure as the API describes it (module names inside a decoder layer and outside). */
  ModelInfo info(ModelConfig config);

  /**
   * The structure from a config.json the strict {@link #config} may refuse: what it states (the layer count may be
   * absent), for the rules between methods. Never throws for a missing or malformed field.
   */
  ModelInfo info(JsonObject json);

  /**
   * The parameters {@link #create} makes — same names, shapes and order — without allocating anything.
   *
   * @param quantized whether the decoder layers' linear weights are stored in 4 bits
   * @param computeBytes 4 for fp32, 2 for bf16
   */
  ModelShape shape(ModelConfig config, boolean quantized, int computeBytes);

  /**
   * Bytes autograd saves in one decoder layer for one micro-batch of {@code work}, when the layer's own weights train
   * ({@code trained}) or not.
   */
  long layerActivations(ModelConfig config, Workload work, boolean trained);

  /** PEFT's default LoRA targets for this family (its {@code TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING}). */
  List<String> defaultLoraTargets(ModelConfig config);

  /**
   * A config of this family with the given sizes, for {@code peft4j init-model --size}: a model small enough to
   * train on a CPU.
   */
  ModelConfig sized(ModelSizes size, int vocabSize, Map<String, Integer> specialIds);
}
