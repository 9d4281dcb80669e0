package dev.peft4j.runtime.model.gemma2;

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

/** Gemma 2 (2B, 9B, 27B): see the package. */
public final class Gemma2Family implements ModelFamily {

  private static final List<String> LAYER_MODULES = List.of("self_attn", "mlp", "input_layernorm",
      "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm");
  private static final List<String> LINEAR_MODULES = List.of(
      "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
      "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj");
  private static final long FLOAT32 = 4;
  /** A layer's norms, in transformers' order. */
  static final List<String> NORMS = List.of("input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
      "post_feedforward_layernorm");

  @Override
  public List<String> modelTypes() {
    return List.of(Gemma2Config.TYPE);
  }

  @Override
  public ModelConfig config(JsonObject json, Path file) {
    return Gemma2Config.parse(json, file);
  }

  @Override
  public CausalLm create(ModelConfig config, WeightSource weights, Precision precision) {
    return new Gemma2ForCausalLM((Gemma2Config) config, weights.withZeroCentredNorms(), precision);
  }

  @Override
  public ModelInfo info(ModelConfig config) {
    return info(OptionalInt.of(config.numLayers()), config.tieWordEmbeddings());
  }

  @Override
  public ModelInfo info(JsonObject json) {
    // Gemma2Config ties the embeddings unless told otherwise.
    return DecoderShapes.info(json, Gemma2Config.TYPE, LAYER_MODULES, LINEAR_MODULES, true);
  }

  static ModelInfo info(OptionalInt layers, boolean tiedEmbeddings) {
    return DecoderShapes.info(Gemma2Config.TYPE, layers, LAYER_MODULES, LINEAR_MODULES, tiedEmbeddings);
  }

  @Override
  public ModelShape shape(ModelConfig config, boolean quantized, int computeBytes) {
    Gemma2Config c = (Gemma2Config) config;
    DecoderShapes shapes = new DecoderShapes(quantized);
    long hidden = c.hiddenSize();
    long queries = (long) c.numHeads() * c.headDim();
    long keys = (long) c.numKvHeads() * c.headDim();
    long intermediate = c.intermediateSize();
    boolean bias = c.attentionBias();
    shapes.frozen("model.embed_tokens.weight", OptionalInt.empty(), c.vocabSize(), hidden);
    for (int i = 0; i < c.numLayers(); i++) {
      String prefix = "model.layers." + i + ".";
      OptionalInt layer = OptionalInt.of(i);
      shapes.linear(prefix + "self_attn.q_proj", queries, hidden, bias, layer)
          .linear(prefix + "self_attn.k_proj", keys, hidden, bias, layer)
          .linear(prefix + "self_attn.v_proj", keys, hidden, bias, layer)
          .linear(prefix + "self_attn.o_proj", hidden, queries, bias, layer)
          .linear(prefix + "mlp.gate_proj", intermediate, hidden, false, layer)
          .linear(prefix + "mlp.up_proj", intermediate, hidden, false, layer)
          .linear(prefix + "mlp.down_proj", hidden, intermediate, false, layer);
      for (String norm : NORMS) {
        shapes.frozen(prefix + norm + ".weight", layer, hidden);
      }
    }
    shapes.frozen("model.norm.weight", OptionalInt.empty(), hidden);
    if (!c.tieWordEmbeddings()) {
      shapes.linear("lm_head", c.vocabSize(), hidden, false, OptionalInt.empty());
    }
    return shapes.build(info(config), computeBytes);
  }



  /**
   * Llama's layer ({@link PreNormDecoderLayer#savedBytes}; GeGLU saves what SwiGLU does), its two more norms' float32
   * inputs, and what eager attention holds: per head, query and key, the soft-capped scores (c bytes), their float32
   * softmax and its cast (c), and the mask. Priced from the operations' saved tensors, not measured.
   */
  @Override
  public long layerActivations(ModelConfig config, Workload work, boolean trained) {
    long c = work.precision().storedBytes();
    long scores = (long) work.batch() * config.numHeads() * work.length() * work.length();
    long norms = 2 * (c != FLOAT32 ? 2 : 1) * FLOAT32 * work.tokens() * config.hiddenSize();
    long mask = (long) work.batch() * work.length() * work.length();
    return PreNormDecoderLayer.savedBytes(config, work, trained) + norms + (2 * c + FLOAT32) * scores + mask;
  }

  /** PEFT's defaults for gemma2: the query and value projections. */
  @Override
  public List<String> defaultLoraTargets(ModelConfig config) {
    return List.of("q_proj", "v_proj");
  }

  @Override
  public ModelConfig sized(ModelSizes size, int vocabSize, Map<String, Integer> specialIds) {
    JsonObject json = ConfigFields.sized(Gemma2Config.TYPE, "Gemma2ForCausalLM", size, vocabSize);
    json.addProperty("head_dim", size.hidden() / size.heads());
    json.addProperty("query_pre_attn_scalar", size.hidden() / size.heads());
    json.addProperty("hidden_activation", "gelu_pytorch_tanh");
    specialIds.forEach(json::addProperty);
    return Gemma2Config.parse(json, Path.of("config.json"));
  }
}
