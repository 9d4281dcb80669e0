package dev.peft4j.runtime.model;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonParser;
import dev.peft4j.runtime.nn.Precision;
import java.nio.file.Path;

/** Tiny configurations for tests: 2 decoder layers of hidden 16, 4 query and 2 key/value heads, 40 tokens. */
public final class TinyModels {

  private TinyModels() {}

  /** A tiny config of {@code modelType} (one the built-in families know), with tied embeddings or an output head. */
  public static ModelConfig config(String modelType, boolean tied) {
    return ModelFamilies.BUILT_IN.of(modelType).orElseThrow().config(JsonParser.parseString("""
        {"model_type": "%s", "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 40, "max_position_embeddings": 64,
         "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": %s}
        """.formatted(modelType, tied)).getAsJsonObject(), Path.of("test"));
  }

  public static CausalLm random(NDManager manager, ModelConfig config, long seed) {
    return random(manager, config, seed, Precision.FP32);
  }

  /** Random weights of standard deviation 0.2 (so that logits are far from zero), computing in {@code precision}. */
  public static CausalLm random(NDManager manager, ModelConfig config, long seed, Precision precision) {
    return ModelFamilies.BUILT_IN.of(config).create(config, WeightSource.random(manager, 0.2, seed), precision);
  }
}
