package dev.peft4j.runtime.model.phi3;

import static dev.peft4j.runtime.model.ConfigFields.bool;
import static dev.peft4j.runtime.model.ConfigFields.integer;
import static dev.peft4j.runtime.model.ConfigFields.number;
import static dev.peft4j.runtime.model.ConfigFields.present;
import static dev.peft4j.runtime.model.ConfigFields.string;

import com.google.gson.JsonObject;
import dev.peft4j.runtime.model.ConfigFields;
import dev.peft4j.runtime.model.ModelConfig;
import dev.peft4j.runtime.model.ModelConfigException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The sizes of a Phi-3 decoder, read from its {@code config.json} with transformers' {@code Phi3Config} defaults.
 * What peft4j does not build is refused rather than run as something else: {@code rope_scaling} (the 128k models'
 * {@code longrope}), a {@code partial_rotary_factor} other than 1, an activation other than silu.
 *
 * @param slidingWindow a position attends to itself and the {@code sliding_window − 1} before it; 0 for none
 * @param raw every key of the file, kept so that a merged model's config.json says what the original said
 */
public record Phi3Config(
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
    int slidingWindow,
    Map<String, Object> raw) implements ModelConfig {

  static final String TYPE = "phi3";

  public Phi3Config {
    ConfigFields.checkSizes(hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, vocabSize,
        maxPositionEmbeddings, rmsNormEps, ropeTheta);
    if (slidingWindow < 0) {
      throw new ModelConfigException("config.json: sliding_window must be a positive integer or null, got " + slidingWindow);
    }
    raw = Collections.unmodifiableMap(new LinkedHashMap<>(raw));
  }

  @Override
  public String modelType() {
    return TYPE;
  }

  /** {@code json}, the contents of {@code file}, read strictly; a problem names the file. */
  static Phi3Config parse(JsonObject json, Path file) {
    return ConfigFields.parse(json, file, Phi3Config::fromJson);
  }

  private static Phi3Config fromJson(JsonObject json, Path file) {
    String type = string(json, "model_type");
    if (!type.equals(TYPE)) {
      throw new ModelConfigException("model_type \"" + type + "\" is not phi3");
    }
    String activation = present(json, "hidden_act") ? string(json, "hidden_act") : "silu";
    if (!activation.equals("silu")) {
      throw new ModelConfigException("hidden_act \"" + activation + "\" is not supported: peft4j's phi3 uses silu, and "
          + "running another activation as silu would compute another model. Use a model with hidden_act \"silu\"");
    }
    if (present(json, "rope_scaling")) {
      throw new ModelConfigException("rope_scaling " + json.get("rope_scaling") + " is not supported: peft4j's phi3 "
          + "builds the default rotary embedding of the 4k-context models, not the 128k models' longrope. Use a "
          + "model whose rope_scaling is null (Phi-3-mini-4k, Phi-3-medium-4k)");
    }
    if (present(json, "partial_rotary_factor") && number(json, "", "partial_rotary_factor") != 1.0) {
      throw new ModelConfigException("partial_rotary_factor " + json.get("partial_rotary_factor") + " is not supported: "
          + "peft4j's phi3 rotates the whole head (partial_rotary_factor 1.0)");
    }
    int hidden = integer(json, "hidden_size");
    int heads = integer(json, "num_attention_heads");
    if (heads > 0 && hidden % heads != 0 && !present(json, "head_dim")) {
      throw new ModelConfigException("hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads
          + " and head_dim is not given: state head_dim");
    }
    int window = present(json, "sliding_window") ? integer(json, "sliding_window") : 0;
    if (present(json, "sliding_window") && window < 1) {
      throw new ModelConfigException("sliding_window must be a positive integer or null, got " + json.get("sliding_window"));
    }
    return new Phi3Config(hidden, integer(json, "intermediate_size"), ConfigFields.layerCount(json), heads,
        present(json, "num_key_value_heads") ? integer(json, "num_key_value_heads") : heads,
        present(json, "head_dim") ? integer(json, "head_dim") : heads > 0 ? hidden / heads : 0,
        integer(json, "vocab_size"),
        present(json, "max_position_embeddings") ? integer(json, "max_position_embeddings") : 4096,
        present(json, "rms_norm_eps") ? number(json, "", "rms_norm_eps") : 1e-5,
        present(json, "rope_theta") ? number(json, "", "rope_theta") : 10000.0,
        bool(json, "tie_word_embeddings"), window, ConfigFields.raw(json));
  }

  @Override
  public String features() {
    return ", fused qkv_proj and gate_up_proj" + (slidingWindow > 0 ? ", sliding window " + slidingWindow : "");
  }

  @Override
  public String toJson(String torchDtype) {
    Map<String, Object> out = ConfigFields.sizes(raw, this);
    out.put("rms_norm_eps", rmsNormEps);
    out.put("rope_theta", ropeTheta);
    return ConfigFields.toJson(out, this, torchDtype);
  }

}
