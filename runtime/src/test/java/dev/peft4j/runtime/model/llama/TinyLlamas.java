package dev.peft4j.runtime.model.llama;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonParser;
import dev.peft4j.runtime.nn.Precision;
import java.nio.file.Path;

/** Tiny configurations for tests. */
public final class TinyLlamas {

  private TinyLlamas() {}

  public static LlamaConfig config(String modelType, boolean tied) {
    return LlamaConfig.parse(JsonParser.parseString("""
        {"model_type": "%s", "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 40, "max_position_embeddings": 64,
         "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": %s}
        """.formatted(modelType, tied)).getAsJsonObject(), Path.of("test"));
  }

  public static LlamaForCausalLM random(NDManager manager, LlamaConfig config, long seed) {
    return random(manager, config, seed, Precision.FP32);
  }

  public static LlamaForCausalLM random(NDManager manager, LlamaConfig config, long seed, Precision precision) {
    return LlamaForCausalLM.create(config, dev.peft4j.runtime.model.WeightSource.random(manager, 0.2, seed), precision);
  }
}
