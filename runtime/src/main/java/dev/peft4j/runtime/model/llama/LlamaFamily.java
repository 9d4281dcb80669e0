package dev.peft4j.runtime.model.llama;

import com.google.gson.JsonObject;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ConfigFields;
import dev.peft4j.runtime.model.DecoderShapes;
import dev.peft4j.runtime.model.ModelConfig;
import dev.peft4j.runtime.model.ModelFamily;
import dev.peft4j.runtime.model.ModelSizes;
import dev.peft4j.runtime.model.PreNormDecoderLayer;
import dev.peft4j.runtime.model.WeightSource;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.plan.Workload;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The Llama family of decoders: Llama 2/3 (with {@code rope_scaling}), TinyLlama, Mistral (with its sliding window),
 * Qwen2 (q/k/v biases) and Qwen3 (queries and keys RMS-normalised per head, a head size apart from {@code
 * hidden_size / num_attention_heads}). Grouped-query attention, rotary embeddings with {@code rope_theta}, RMSNorm,
 * SwiGLU, tied or untied embeddings. Qwen3 belongs here as transformers builds it: its modular file derives {@code
 * Qwen3Attention} from {@code LlamaAttention} and adds the two norms.
 */
public final class LlamaFamily implements ModelFamily {

  static final List<String> TYPES = List.of("llama", "mistral", "qwen2", "qwen3");

  private static final List<String> LAYER_MODULES = List.of("self_attn", "mlp", "input_layernorm", "post_attention_layernorm");
  private static final List<String> LINEAR_MODULES = List.of(
      "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
      "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj");

  /** The bytes an fp32 value takes: what the float32 parts of an activation take whatever the precision. */
  private static final long FLOAT32 = 4;

  @Override
  public List<String> modelTypes() {
    return TYPES;
  }

  @Override
  public ModelConfig config(JsonObject json, Path file) {
    return LlamaConfig.parse(json, file);
  }

  @Override
  public CausalLm create(ModelConfig config, WeightSource weights, Precision precision) {
    return LlamaForCausalLM.create((LlamaConfig) config, weights, precision);
  }

  @Override
  public ModelInfo info(ModelConfig config) {
    return info(config.modelType(), OptionalInt.of(config.numLayers()), config.tieWordEmbeddings());
  }

  @Override
  public ModelInfo info(JsonObject json) {
    return DecoderShapes.info(json, json.get("model_type").getAsString(), LAYER_MODULES, LINEAR_MODULES, false);
  }

  /** The structure of a model of this family with {@code layers} decoder layers. */
  static ModelInfo info(String modelType, OptionalInt layers, boolean tiedEmbeddings) {
    return DecoderShapes.info(modelType, layers, LAYER_MODULES, LINEAR_MODULES, tiedEmbeddings);
  }

  @Override
  public ModelShape shape(ModelConfig config, boolean quantized, int computeBytes) {
    LlamaConfig c = (LlamaConfig) config;
    DecoderShapes shapes = new DecoderShapes(quantized);
    long hidden = c.hiddenSize();
    long queries = (long) c.numHeads() * c.headDim();
    long keys = (long) c.numKvHeads() * c.headDim();
    long intermediate = c.intermediateSize();
    shapes.frozen("model.embed_tokens.weight", OptionalInt.empty(), c.vocabSize(), hidden);
    for (int i = 0; i < c.numLayers(); i++) {
      String prefix = "model.layers." + i + ".";
      OptionalInt layer = OptionalInt.of(i);
      shapes.linear(prefix + "self_attn.q_proj", queries, hidden, c.attentionBias(), layer)
          .linear(prefix + "self_attn.k_proj", keys, hidden, c.attentionBias(), layer)
          .linear(prefix + "self_attn.v_proj", keys, hidden, c.attentionBias(), layer)
          .linear(prefix + "self_attn.o_proj", hidden, queries, c.outputProjectionBias(), layer);
      if (c.qkNorm()) {
        shapes.frozen(prefix + "self_attn.q_norm.weight", layer, c.headDim())
            .frozen(prefix + "self_attn.k_norm.weight", layer, c.headDim());
      }
      shapes.linear(prefix + "mlp.gate_proj", intermediate, hidden, c.mlpBias(), layer)
          .linear(prefix + "mlp.up_proj", intermediate, hidden, c.mlpBias(), layer)
          .linear(prefix + "mlp.down_proj", hidden, intermediate, c.mlpBias(), layer)
          .frozen(prefix + "input_layernorm.weight", layer, hidden)
          .frozen(prefix + "post_attention_layernorm.weight", layer, hidden);
    }
    shapes.frozen("model.norm.weight", OptionalInt.empty(), hidden);
    if (!c.tieWordEmbeddings()) {
      shapes.linear("lm_head", c.vocabSize(), hidden, false, OptionalInt.empty());
    }
    return shapes.build(info(config), computeBytes);
  }



  /** {@link PreNormDecoderLayer#savedBytes}, and Qwen3's q/k norms. */
  @Override
  public long layerActivations(ModelConfig config, Workload work, boolean trained) {
    long layer = PreNormDecoderLayer.savedBytes(config, work, trained);
    if (!((LlamaConfig) config).qkNorm()) {
      return layer;
    }
    // Qwen3's per-head norms, priced as the hidden ones by analogy (not measured): their float32 inputs, and their
    // normalised values when the layer trains.
    long c = work.precision().storedBytes();
    long qk = work.tokens() * ((long) config.numHeads() + config.numKvHeads()) * config.headDim();
    return layer + (c != FLOAT32 ? 2 : 1) * FLOAT32 * qk + (trained ? c * qk : 0);
  }

  /** PEFT's defaults for llama, mistral, qwen2 and qwen3: the query and value projections. */
  @Override
  public List<String> defaultLoraTargets(ModelConfig config) {
    return List.of("q_proj", "v_proj");
  }

  @Override
  public ModelConfig sized(ModelSizes size, int vocabSize, Map<String, Integer> specialIds) {
    JsonObject json = ConfigFields.sized("llama", "LlamaForCausalLM", size, vocabSize);
    json.addProperty("rms_norm_eps", 1e-6);
    json.addProperty("rope_theta", 10000.0);
    json.addProperty("hidden_act", "silu");
    json.addProperty("initializer_range", 0.02);
    json.addProperty("tie_word_embeddings", false);
    json.addProperty("attention_bias", false);
    json.addProperty("mlp_bias", false);
    specialIds.forEach(json::addProperty);
    return LlamaConfig.parse(json, Path.of("config.json"));
  }
}
