package dev.peft4j.runtime.model.llama;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** The named sizes {@code peft4j init-model} makes: Llama-architecture models small enough to train on a CPU. */
public enum ModelSizes {
  /** ~0.8 M parameters: the README's demo trains it in minutes on 2 cores. */
  TINY(128, 344, 4, 4, 2, 256),
  /** ~22 M parameters: the size the benchmarks use. */
  SMALL(512, 1376, 8, 8, 4, 512);

  private final int hidden;
  private final int intermediate;
  private final int layers;
  private final int heads;
  private final int kvHeads;
  private final int maxPositions;

  ModelSizes(int hidden, int intermediate, int layers, int heads, int kvHeads, int maxPositions) {
    this.hidden = hidden;
    this.intermediate = intermediate;
    this.layers = layers;
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.maxPositions = maxPositions;
  }

  /** The config of this size for a tokenizer of {@code vocabSize} tokens with the given special ids. */
  public LlamaConfig config(int vocabSize, Map<String, Integer> specialIds) {
    JsonObject json = new JsonObject();
    json.addProperty("model_type", "llama");
    com.google.gson.JsonArray architectures = new com.google.gson.JsonArray();
    architectures.add("LlamaForCausalLM");
    json.add("architectures", architectures);
    json.addProperty("hidden_size", hidden);
    json.addProperty("intermediate_size", intermediate);
    json.addProperty("num_hidden_layers", layers);
    json.addProperty("num_attention_heads", heads);
    json.addProperty("num_key_value_heads", kvHeads);
    json.addProperty("vocab_size", vocabSize);
    json.addProperty("max_position_embeddings", maxPositions);
    json.addProperty("rms_norm_eps", 1e-6);
    json.addProperty("rope_theta", 10000.0);
    json.addProperty("hidden_act", "silu");
    json.addProperty("initializer_range", 0.02);
    json.addProperty("tie_word_embeddings", false);
    json.addProperty("attention_bias", false);
    json.addProperty("mlp_bias", false);
    specialIds.forEach(json::addProperty);
    return LlamaConfig.fromJson(json, Path.of("config.json"));
  }

  public String displayName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
