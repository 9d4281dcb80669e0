package dev.peft4j.runtime.model.llama;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.ToNumberPolicy;
import dev.peft4j.runtime.model.ModelConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The sizes of a Llama-family decoder, read from a Hugging Face {@code config.json} (Llama 2/3,
 * TinyLlama, Mistral, Qwen2).
 *
 * @param attentionBias q/k/v projections have biases (Qwen2; Llama's {@code attention_bias})
 * @param outputProjectionBias o_proj has a bias (Llama's {@code attention_bias}; never in Qwen2)
 * @param mlpBias the MLP projections have biases (Llama's {@code mlp_bias})
 * @param ropeScaling Llama-3 style {@code rope_scaling}, if any
 * @param raw every key of the file, kept so that a merged model's config.json says what the original said
 */
public record LlamaConfig(
    String modelType,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    int vocabSize,
    int maxPositionEmbeddings,
    double rmsNormEps,
    double ropeTheta,
    Optional<RopeScaling> ropeScaling,
    boolean tieWordEmbeddings,
    boolean attentionBias,
    boolean outputProjectionBias,
    boolean mlpBias,
    Map<String, Object> raw) {

  // Numbers stay integers where the file has integers (bos_token_id: 1, not 1.0).
  private static final Gson GSON = new GsonBuilder().setObjectToNumberStrategy(ToNumberPolicy.LONG_OR_DOUBLE)
      .setPrettyPrinting().create();

  /** Llama 3's frequency-dependent RoPE scaling ({@code rope_type = llama3}). */
  public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {}

  public LlamaConfig {
    if (hiddenSize <= 0 || numLayers <= 0 || numHeads <= 0 || numKvHeads <= 0 || vocabSize <= 0 || intermediateSize <= 0) {
      throw new ModelConfigException("config.json: sizes must be positive (hidden_size " + hiddenSize + ", num_hidden_layers "
          + numLayers + ", num_attention_heads " + numHeads + ", num_key_value_heads " + numKvHeads + ", vocab_size "
          + vocabSize + ", intermediate_size " + intermediateSize + ")");
    }
    if (numHeads % numKvHeads != 0) {
      throw new ModelConfigException("config.json: num_attention_heads " + numHeads
          + " is not a multiple of num_key_value_heads " + numKvHeads);
    }
    if (headDim % 2 != 0) {
      throw new ModelConfigException("config.json: the head dimension " + headDim + " must be even for rotary embeddings");
    }
    raw = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(raw));
  }

  public static LlamaConfig read(Path folder) {
    return readFile(folder.resolve("config.json"));
  }

  /** Reads a config file of any name. */
  public static LlamaConfig readFile(Path file) {
    try {
      JsonElement json = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
      return fromJson(json.getAsJsonObject(), file);
    } catch (IOException e) {
      throw new ModelConfigException(file + " cannot be read: " + e.getMessage());
    } catch (RuntimeException e) {
      if (e instanceof ModelConfigException m) {
        throw new ModelConfigException(file + ": " + m.getMessage().replaceFirst("^config.json: ", ""));
      }
      throw new ModelConfigException(file + " is not a valid model config: " + e.getMessage());
    }
  }

  @SuppressWarnings("unchecked")
  static LlamaConfig fromJson(JsonObject json, Path file) {
    String type = json.get("model_type").getAsString();
    if (!dev.peft4j.runtime.model.ModelConfigs.LLAMA_FAMILY.contains(type)) {
      throw new ModelConfigException("model_type \"" + type + "\" is not supported; peft4j supports "
          + String.join(", ", new java.util.TreeSet<>(dev.peft4j.runtime.model.ModelConfigs.LLAMA_FAMILY)));
    }
    int hidden = json.get("hidden_size").getAsInt();
    int heads = json.get("num_attention_heads").getAsInt();
    int kvHeads = json.has("num_key_value_heads") && !json.get("num_key_value_heads").isJsonNull()
        ? json.get("num_key_value_heads").getAsInt() : heads;
    int headDim = json.has("head_dim") && !json.get("head_dim").isJsonNull() ? json.get("head_dim").getAsInt() : hidden / heads;
    boolean llamaAttentionBias = json.has("attention_bias") && json.get("attention_bias").getAsBoolean();
    boolean bias = type.equals("qwen2") || llamaAttentionBias;
    boolean mlpBias = json.has("mlp_bias") && json.get("mlp_bias").getAsBoolean();
    Optional<RopeScaling> scaling = Optional.empty();
    if (json.has("rope_scaling") && json.get("rope_scaling").isJsonObject()) {
      JsonObject rs = json.getAsJsonObject("rope_scaling");
      String ropeType = rs.has("rope_type") ? rs.get("rope_type").getAsString() : rs.has("type") ? rs.get("type").getAsString() : "";
      if (!ropeType.equals("llama3")) {
        throw new ModelConfigException("rope_scaling of type \"" + ropeType + "\" is not supported (only llama3)");
      }
      scaling = Optional.of(new RopeScaling(rs.get("factor").getAsDouble(), rs.get("low_freq_factor").getAsDouble(),
          rs.get("high_freq_factor").getAsDouble(), rs.get("original_max_position_embeddings").getAsInt()));
    }
    Map<String, Object> raw = GSON.fromJson(json, LinkedHashMap.class);
    return new LlamaConfig(type, hidden, json.get("intermediate_size").getAsInt(),
        json.get("num_hidden_layers").getAsInt(), heads, kvHeads, headDim, json.get("vocab_size").getAsInt(),
        json.has("max_position_embeddings") ? json.get("max_position_embeddings").getAsInt() : 2048,
        json.has("rms_norm_eps") ? json.get("rms_norm_eps").getAsDouble() : 1e-6,
        json.has("rope_theta") ? json.get("rope_theta").getAsDouble() : 10000.0,
        scaling,
        json.has("tie_word_embeddings") && json.get("tie_word_embeddings").getAsBoolean(),
        bias, llamaAttentionBias && !type.equals("qwen2"), mlpBias, raw);
  }

  /** The config as Hugging Face writes it: the original keys, sizes as this record says. */
  public String toJson() {
    Map<String, Object> out = new LinkedHashMap<>(raw);
    out.put("model_type", modelType);
    out.put("hidden_size", hiddenSize);
    out.put("intermediate_size", intermediateSize);
    out.put("num_hidden_layers", numLayers);
    out.put("num_attention_heads", numHeads);
    out.put("num_key_value_heads", numKvHeads);
    out.put("vocab_size", vocabSize);
    out.put("max_position_embeddings", maxPositionEmbeddings);
    out.put("rms_norm_eps", rmsNormEps);
    out.put("rope_theta", ropeTheta);
    out.put("tie_word_embeddings", tieWordEmbeddings);
    out.put("torch_dtype", "float32");
    return GSON.toJson(out);
  }
}
