package dev.peft4j.runtime.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.ToNumberPolicy;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Strict readers of a {@code config.json}'s fields, for the families' config records: a field of the wrong type, or
 * a required one missing, is a {@link ModelConfigException} that names it.
 */
public final class ConfigFields {

  // Numbers stay integers where the file has integers (bos_token_id: 1, not 1.0).
  private static final Gson GSON = new GsonBuilder().setObjectToNumberStrategy(ToNumberPolicy.LONG_OR_DOUBLE)
      .setPrettyPrinting().create();

  private ConfigFields() {}

  /** {@code json}, the contents of {@code file}, read by {@code reader}; a problem names the file. */
  public static <C extends ModelConfig> C parse(JsonObject json, Path file, BiFunction<JsonObject, Path, C> reader) {
    try {
      return reader.apply(json, file);
    } catch (RuntimeException e) {
      if (e instanceof ModelConfigException m) {
        throw new ModelConfigException(file + ": " + m.getMessage().replaceFirst("^config.json: ", ""));
      }
      throw new ModelConfigException(file + " is not a valid model config: " + e.getMessage());
    }
  }

  /** Every key of the file, numbers as the file writes them (for a config's {@code raw}). */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> raw(JsonObject json) {
    return GSON.fromJson(json, LinkedHashMap.class);
  }

  /** {@code fields} as config.json, pretty-printed as transformers writes it. */
  public static String toJson(Map<String, Object> fields) {
    return GSON.toJson(fields);
  }

  /**
   * The original keys {@code raw} with the sizes every family states set as {@code config} says: what a family's
   * {@link ModelConfig#toJson} adds its own keys to before {@link #toJson(Map, ModelConfig, String)}.
   */
  public static Map<String, Object> sizes(Map<String, Object> raw, ModelConfig config) {
    Map<String, Object> out = new LinkedHashMap<>(raw);
    out.put("model_type", config.modelType());
    out.put("hidden_size", config.hiddenSize());
    out.put("intermediate_size", config.intermediateSize());
    out.put("num_hidden_layers", config.numLayers());
    out.put("num_attention_heads", config.numHeads());
    out.put("num_key_value_heads", config.numKvHeads());
    out.put("vocab_size", config.vocabSize());
    out.put("max_position_embeddings", config.maxPositionEmbeddings());
    return out;
  }

  /** {@code fields}, then whether the embeddings are tied and the weights' {@code torch_dtype}, as config.json. */
  public static String toJson(Map<String, Object> fields, ModelConfig config, String torchDtype) {
    fields.put("tie_word_embeddings", config.tieWordEmbeddings());
    fields.put("torch_dtype", torchDtype);
    return GSON.toJson(fields);
  }

  /**
   * A config.json of {@code modelType} with {@code size}'s sizes, for {@code init-model --size}: a family adds its own
   * keys, then the tokenizer's special ids.
   */
  public static JsonObject sized(String modelType, String architecture, ModelSizes size, int vocabSize) {
    JsonObject json = new JsonObject();
    json.addProperty("model_type", modelType);
    JsonArray architectures = new JsonArray();
    architectures.add(architecture);
    json.add("architectures", architectures);
    json.addProperty("hidden_size", size.hidden());
    json.addProperty("intermediate_size", size.intermediate());
    json.addProperty("num_hidden_layers", size.layers());
    json.addProperty("num_attention_heads", size.heads());
    json.addProperty("num_key_value_heads", size.kvHeads());
    json.addProperty("vocab_size", vocabSize);
    json.addProperty("max_position_embeddings", size.maxPositions());
    return json;
  }

  /** The sizes every Llama-shaped decoder needs, positive and consistent, or a {@link ModelConfigException}. */
  public static void checkSizes(int hiddenSize, int intermediateSize, int numLayers, int numHeads, int numKvHeads,
      int headDim, int vocabSize, int maxPositionEmbeddings, double rmsNormEps, double ropeTheta) {
    if (hiddenSize <= 0 || numLayers <= 0 || numHeads <= 0 || numKvHeads <= 0 || vocabSize <= 0 || intermediateSize <= 0) {
      throw new ModelConfigException("config.json: sizes must be positive (hidden_size " + hiddenSize + ", num_hidden_layers "
          + numLayers + ", num_attention_heads " + numHeads + ", num_key_value_heads " + numKvHeads + ", vocab_size "
          + vocabSize + ", intermediate_size " + intermediateSize + ")");
    }
    if (numHeads % numKvHeads != 0) {
      throw new ModelConfigException("config.json: num_attention_heads " + numHeads
          + " is not a multiple of num_key_value_heads " + numKvHeads);
    }
    if (headDim <= 0 || maxPositionEmbeddings <= 0) {
      throw new ModelConfigException("config.json: sizes must be positive (head_dim " + headDim
          + ", max_position_embeddings " + maxPositionEmbeddings + ")");
    }
    if (!(rmsNormEps > 0) || !Double.isFinite(rmsNormEps) || !(ropeTheta > 0) || !Double.isFinite(ropeTheta)) {
      throw new ModelConfigException("config.json: rms_norm_eps (" + rmsNormEps + ") and rope_theta (" + ropeTheta
          + ") must be positive finite numbers");
    }
    if (headDim % 2 != 0) {
      throw new ModelConfigException("config.json: the head dimension " + headDim + " must be even for rotary embeddings");
    }
  }

  /** Whether {@code key} is there and not null. */
  public static boolean present(JsonObject json, String key) {
    return json.has(key) && !json.get(key).isJsonNull();
  }

  private static JsonElement required(JsonObject json, String prefix, String key) {
    if (!present(json, key)) {
      throw new ModelConfigException(prefix + key + " is missing: a config.json as transformers writes it states it; "
          + "is model.path the model's folder, and is its config.json complete?");
    }
    return json.get(key);
  }

  public static String string(JsonObject json, String key) {
    JsonElement value = required(json, "", key);
    if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
      throw new ModelConfigException(key + " must be a string, got " + value);
    }
    return value.getAsString();
  }

  public static int integer(JsonObject json, String key) {
    JsonElement value = required(json, "", key);
    if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isNumber()) {
      throw new ModelConfigException(key + " must be an integer, got " + value);
    }
    double number = value.getAsDouble();
    if (number != Math.rint(number) || Math.abs(number) > Integer.MAX_VALUE) {
      throw new ModelConfigException(key + " must be an integer, got " + value);
    }
    return (int) number;
  }

  /** The most decoder layers a config.json may state: far above any published model's (Llama 3.1 405B has 126). */
  public static final int MAX_LAYERS = 1024;

  /**
   * {@code num_hidden_layers}, at most {@link #MAX_LAYERS}: a corrupt count (a million layers) would otherwise be
   * shaped layer by layer before the weights could refute it.
   */
  public static int layerCount(JsonObject json) {
    int layers = integer(json, "num_hidden_layers");
    if (layers > MAX_LAYERS) {
      throw new ModelConfigException("num_hidden_layers is " + layers + ", more than the " + MAX_LAYERS
          + " peft4j reads (published decoders have at most a few hundred): check config.json");
    }
    return layers;
  }

  /** {@code key} of {@code json} (named {@code prefix + key} in a message: a nested object's field). */
  public static double number(JsonObject json, String prefix, String key) {
    JsonElement value = required(json, prefix, key);
    if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isNumber()) {
      throw new ModelConfigException(prefix + key + " must be a number, got " + value);
    }
    return value.getAsDouble();
  }

  public static double positive(JsonObject json, String prefix, String key) {
    double value = number(json, prefix, key);
    if (!(value > 0) || !Double.isFinite(value)) {
      throw new ModelConfigException(prefix + key + " must be a positive finite number, got " + json.get(key));
    }
    return value;
  }

  /** {@code key}, false when absent or null. */
  public static boolean bool(JsonObject json, String key) {
    if (!present(json, key)) {
      return false;
    }
    JsonElement value = json.get(key);
    if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean()) {
      throw new ModelConfigException(key + " must be true or false, got " + value);
    }
    return value.getAsBoolean();
  }
}
