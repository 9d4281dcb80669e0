package dev.peft4j.runtime.model.phi3;

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
 * Phi-3 (Phi-3-mini and Phi-3-medium with their 4k context; Phi-3-small is another model type): Llama's layer with fused
 * {@code qkv_proj} and {@code gate_up_proj}, grouped-query attention, a sliding window, RMSNorm, SwiGLU.
 */
public final class Phi3Family implements ModelFamily {

  private static final List<String> LAYER_MODULES = List.of("self_attn", "mlp", "input_layernorm", "post_attention_layernorm");
  private static final List<String> LINEAR_MODULES = List.of(
      "self_attn.o_proj", "self_attn.qkv_proj", "mlp.gate_up_proj", "mlp.down_proj");

  @Override
  public List<String> modelTypes() {
    return List.of(Phi3Config.TYPE);
  }

  @Override
  public ModelConfig config(JsonObject json, Path file) {
    return Phi3Config.parse(json, file);
  }

  @Override
  public CausalLm create(ModelConfig config, WeightSource weights, Precision precision) {
    return new Phi3ForCausalLM((Phi3Config) config, weights, precision);
  }

  @Override
  public ModelInfo info(ModelConfig config) {
    return info(OptionalInt.of(config.numLayers()), config.tieWordEmbeddings());
  }

  @Override
  public ModelInfo info(JsonObject json) {
    return DecoderShapes.info(json, Phi3Config.TYPE, LAYER_MODULES, LINEAR_MODULES, false);
  }

  static ModelInfo info(OptionalInt layers, boolean tiedEmbeddings) {
    return DecoderShapes.info(Phi3Config.TYPE, layers, LAYER_MODULES, LINEAR_MODULES, tiedEmbeddings);
  }

  @Override
  public ModelShape shape(ModelConfig config, boolean quantized, int computeBytes) {
    DecoderShapes shapes = new DecoderShapes(quantized);
    long hidden = config.hiddenSize();
    long queries = (long) config.numHeads() * config.headDim();
    long qkv = queries + 2L * config.numKvHeads() * config.headDim();
    long intermediate = config.intermediateSize();
    shapes.frozen("model.embed_tokens.weight", OptionalInt.empty(), config.vocabSize(), hidden);
    for (int i = 0; i < config.numLayers(); i++) {
      String prefix = "model.layers." + i + ".";
      OptionalInt layer = OptionalInt.of(i);
      shapes.linear(prefix + "self_attn.o_proj", hidden, queries, false, layer)
          .linear(prefix + "self_attn.qkv_proj", qkv, hidden, false, layer)
          .linear(prefix + "mlp.gate_up_proj", 2 * intermediate, hidden, false, layer)
          .linear(prefix + "mlp.down_proj", hidden, intermediate, false, layer)
          .frozen(prefix + "input_layernorm.weight", layer, hidden)
          .frozen(prefix + "post_attention_layernorm.weight", layer, hidden);
    }
    shapes.frozen("model.norm.weight", OptionalInt.empty(), hidden);
    if (!config.tieWordEmbeddings()) {
      shapes.linear("lm_head", config.vocabSize(), hidden, false, OptionalInt.empty());
    }
    return shapes.build(info(config), computeBytes);
  }



  /** As Llama's layer ({@link PreNormDecoderLayer#savedBytes}): the fused projections' outputs are split into views. */
  @Override
  public long layerActivations(ModelConfig config, Workload work, boolean trained) {
    return PreNormDecoderLayer.savedBytes(config, work, trained);
  }

  /** None: PEFT has no default targets for phi3, so a LoRA run must name them (the error lists the linear modules). */
  @Override
  public List<String> defaultLoraTargets(ModelConfig config) {
    return List.of();
  }

  @Override
  public ModelConfig sized(ModelSizes size, int vocabSize, Map<String, Integer> specialIds) {
    JsonObject json = ConfigFields.sized(Phi3Config.TYPE, "Phi3ForCausalLM", size, vocabSize);
    json.addProperty("rms_norm_eps", 1e-5);
    json.addProperty("rope_theta", 10000.0);
    json.addProperty("hidden_act", "silu");
    json.addProperty("tie_word_embeddings", false);
    specialIds.forEach(json::addProperty);
    return Phi3Config.parse(json, Path.of("config.json"));
  }
}
