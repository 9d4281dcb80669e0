package dev.peft4j.runtime.model.gemma2;

import static dev.peft4j.runtime.model.ConfigFields.integer;
import static dev.peft4j.runtime.model.ConfigFields.number;
import static dev.peft4j.runtime.model.ConfigFields.positive;
import static dev.peft4j.runtime.model.ConfigFields.present;
import static dev.peft4j.runtime.model.ConfigFields.string;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.peft4j.runtime.model.ConfigFields;
import dev.peft4j.runtime.model.ModelConfig;
import dev.peft4j.runtime.model.ModelConfigException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sizes of a Gemma 2 decoder, read from its {@code config.json} with transformers' {@code Gemma2Config}
 * defaults (head_dim 256, tied embeddings, soft-caps 50 and 30, a window of 4096 on every other layer). What peft4j
 * does not build is refused: {@code rope_scaling}, an activation other than {@code gelu_pytorch_tanh}.
 *
 * @param queryPreAttnScalar the attention scores are scaled by its inverse square root (not the head size's)
 * @param attentionSoftcap {@code attn_logit_softcapping}; 0 for none
 * @param finalSoftcap {@code final_logit_softcapping}; 0 for none
 * @param slidingWindow the window of the sliding layers; 0 for none
 * @param slidingLayers which layers attend within the window ({@code layer_types} "sliding_attention")
 * @param raw every key of the file, kept so that a merged model's config.json says what the original said
 */
public record Gemma2Config(
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
    boolean tieWordEmbeddings,
    boolean attentionBias,
    double queryPreAttnScalar,
    double attentionSoftcap,
    double finalSoftcap,
    int slidingWindow,
    List<Boolean> slidingLayers,
    Map<String, Object> raw) implements ModelConfig {

  static final String TYPE = "gemma2";
  private static final String ACTIVATION = "gelu_pytorch_tanh";

  public Gemma2Config {
    ConfigFields.checkSizes(hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, vocabSize,
        maxPositionEmbeddings, rmsNormEps, ropeTheta);
    if (slidingLayers.size() != numLayers) {
      throw new ModelConfigException("config.json: layer_types names " + slidingLayers.size() + " layers, but "
          + "num_hidden_layers is " + numLayers);
    }
    slidingLayers = List.copyOf(slidingLayers);
    raw = Collections.unmodifiableMap(new LinkedHashMap<>(raw));
  }

  @Override
  public String modelType() {
    return TYPE;
  }

  /** Each layer's sliding window, 0 for full attention. */
  int[] windows() {
    int[] windows = new int[numLayers];
    for (int i = 0; i < numLayers; i++) {
      windows[i] = slidingLayers.get(i) ? slidingWindow : 0;
    }
    return windows;
  }

  /** {@code json}, the contents of {@code file}, read strictly; a problem names the file. */
  static Gemma2Config parse(JsonObject json, Path file) {
    return ConfigFields.parse(json, file, Gemma2Config::fromJson);
  }

  private static Gemma2Config fromJson(JsonObject json, Path file) {
    String type = string(json, "model_type");
    if (!type.equals(TYPE)) {
      throw new ModelConfigException("model_type \"" + type + "\" is not gemma2");
    }
    // Gemma2MLP reads hidden_activation; published configs also state hidden_act, which the model never reads.
    String activation = present(json, "hidden_activation") ? string(json, "hidden_activation") : ACTIVATION;
    if (!activation.equals(ACTIVATION)) {
      throw new ModelConfigException("hidden_activation \"" + activation + "\" is not supported: peft4j's gemma2 uses "
          + ACTIVATION + " (GeGLU), and running another activation so would compute another model");
    }
    if (present(json, "rope_scaling")) {
      throw new ModelConfigException("rope_scaling " + json.get("rope_scaling") + " is not supported: peft4j's gemma2 "
          + "builds the default rotary embedding");
    }
    int layers = ConfigFields.layerCount(json);
    int heads = integer(json, "num_attention_heads");
    // Gemma2Config's default window when absent; none when null.
    int window = !json.has("sliding_window") ? 4096 : present(json, "sliding_window") ? integer(json, "sliding_window") : 0;
    if (present(json, "sliding_window") && window < 1) {
      throw new ModelConfigException("sliding_window must be a positive integer or null, got " + json.get("sliding_window"));
    }
    return new Gemma2Config(integer(json, "hidden_size"), integer(json, "intermediate_size"), layers, heads,
        present(json, "num_key_value_heads") ? integer(json, "num_key_value_heads") : heads,
        present(json, "head_dim") ? integer(json, "head_dim") : 256,
        integer(json, "vocab_size"),
        present(json, "max_position_embeddings") ? integer(json, "max_position_embeddings") : 8192,
        present(json, "rms_norm_eps") ? number(json, "", "rms_norm_eps") : 1e-6,
        present(json, "rope_theta") ? number(json, "", "rope_theta") : 10000.0,
        !present(json, "tie_word_embeddings") || ConfigFields.bool(json, "tie_word_embeddings"),
        ConfigFields.bool(json, "attention_bias"),
        present(json, "query_pre_attn_scalar") ? positive(json, "", "query_pre_attn_scalar") : 256,
        cap(json, "attn_logit_softcapping", 50.0), cap(json, "final_logit_softcapping", 30.0), window,
        slidingLayers(json, layers), ConfigFields.raw(json));
  }

  /** A soft-cap: its default when absent, 0 (none) when null. */
  private static double cap(JsonObject json, String key, double absent) {
    if (!json.has(key)) {
      return absent;
    }
    return present(json, key) ? positive(json, "", key) : 0;
  }

  /** {@code layer_types}, or Gemma2Config's default: layers 0, 2, 4, … slide, the others attend fully. */
  private static List<Boolean> slidingLayers(JsonObject json, int layers) {
    if (!present(json, "layer_types")) {
      Boolean[] sliding = new Boolean[Math.max(layers, 0)];
      for (int i = 0; i < sliding.length; i++) {
        sliding[i] = (i + 1) % 2 == 1;
      }
      return List.of(sliding);
    }
    JsonElement types = json.get("layer_types");
    if (!types.isJsonArray()) {
      throw new ModelConfigException("layer_types must be a list of \"sliding_attention\" or \"full_attention\", got "
          + types);
    }
    Boolean[] sliding = new Boolean[types.getAsJsonArray().size()];
    for (int i = 0; i < sliding.length; i++) {
      JsonElement t = types.getAsJsonArray().get(i);
      String name = t.isJsonPrimitive() && t.getAsJsonPrimitive().isString() ? t.getAsString() : String.valueOf(t);
      if (!name.equals("sliding_attention") && !name.equals("full_attention")) {
        throw new ModelConfigException("layer_types[" + i + "] must be \"sliding_attention\" or \"full_attention\", got "
            + t);
      }
      sliding[i] = name.equals("sliding_attention");
    }
    return List.of(sliding);
  }

  @Override
  public String features() {
    return ", soft-capped, sliding window " + slidingWindow + " on " + slidingLayers.stream().filter(b -> b).count()
        + " layers";
  }

  @Override
  public String toJson(String torchDtype) {
    Map<String, Object> out = ConfigFields.sizes(raw, this);
    out.put("head_dim", headDim);
    return ConfigFields.toJson(out, this, torchDtype);
  }

}
