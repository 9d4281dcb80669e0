package dev.peft4j.runtime.model.llama;

import static dev.peft4j.runtime.model.ConfigFields.bool;
import static dev.peft4j.runtime.model.ConfigFields.integer;
import static dev.peft4j.runtime.model.ConfigFields.number;
import static dev.peft4j.runtime.model.ConfigFields.positive;
import static dev.peft4j.runtime.model.ConfigFields.present;
import static dev.peft4j.runtime.model.ConfigFields.string;

import com.google.gson.JsonObject;
import dev.peft4j.runtime.model.ConfigFields;
import dev.peft4j.runtime.model.ModelConfig;
import dev.peft4j.runtime.model.ModelConfigException;
import dev.peft4j.runtime.model.ModelFamilies;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The sizes of a Llama-family decoder, read from a Hugging Face {@code config.json} (Llama 2/3,
 * TinyLlama, Mistral, Qwen2, Qwen3).
 *
 * @param attentionBias q/k/v projections have biases (Qwen2; Llama's and Qwen3's {@code attention_bias})
 * @param outputProjectionBias o_proj has a bias (Llama's and Qwen3's {@code attention_bias}; never in Qwen2)
 * @param mlpBias the MLP projections have biases (Llama's {@code mlp_bias})
 * @param qkNorm queries and keys are RMS-normalised per head before the rotary embedding (Qwen3's {@code q_norm},
 *     {@code k_norm})
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
    boolean qkNorm,
    Map<String, Object> raw) implements ModelConfig {

  /** Llama 3's frequency-dependent RoPE scaling ({@code rope_type = llama3}). */
  public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {}

  public LlamaConfig {
    ConfigFields.checkSizes(hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim, vocabSize,
        maxPositionEmbeddings, rmsNormEps, ropeTheta);
    raw = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(raw));
  }

  public static LlamaConfig read(Path folder) {
    return readFile(folder.resolve("config.json"));
  }

  /** Reads a config file of any name. */
  public static LlamaConfig readFile(Path file) {
    return (LlamaConfig) ModelFamilies.BUILT_IN.readFile(file);
  }

  /** {@code json}, the contents of {@code file}, read strictly; a problem names the file. */
  static LlamaConfig parse(JsonObject json, Path file) {
    return ConfigFields.parse(json, file, LlamaConfig::fromJson);
  }

  static LlamaConfig fromJson(JsonObject json, Path file) {
    String type = string(json, "model_type");
    if (!LlamaFamily.TYPES.contains(type)) {
      throw new ModelConfigException("model_type \"" + type + "\" is not of the Llama family " + LlamaFamily.TYPES);
    }
    // The activation of the MLP: the family uses SiLU, the only one built; another must not train as SiLU.
    String activation = present(json, "hidden_act") ? string(json, "hidden_act") : "silu";
    if (!activation.equals("silu")) {
      throw new ModelConfigException("hidden_act \"" + activation + "\" is not supported: peft4j's " + type
          + " uses silu (SwiGLU), and running another activation as silu would compute another model. Use a model "
          + "with hidden_act \"silu\"");
    }
    int hidden = integer(json, "hidden_size");
    int heads = integer(json, "num_attention_heads");
    int kvHeads = present(json, "num_key_value_heads") ? integer(json, "num_key_value_heads") : heads;
    boolean qwen3 = type.equals("qwen3");
    if (!qwen3 && heads > 0 && hidden % heads != 0 && !present(json, "head_dim")) {
      throw new ModelConfigException("hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads
          + " and head_dim is not given: state head_dim");
    }
    // Qwen3Config's head_dim defaults to 128, whatever hidden_size / num_attention_heads is; Llama's to their quotient.
    int headDim = present(json, "head_dim") ? integer(json, "head_dim") : qwen3 ? 128 : heads > 0 ? hidden / heads : 0;
    if ((type.equals("qwen2") || qwen3) && bool(json, "use_sliding_window")) {
      throw new ModelConfigException("use_sliding_window true is not supported for " + type + ": peft4j's " + type
          + " attends over the whole sequence, and running it so would compute another model for sequences longer "
          + "than sliding_window. Use the model with use_sliding_window false, as its published config has it");
    }
    boolean llamaAttentionBias = bool(json, "attention_bias");
    boolean bias = type.equals("qwen2") || llamaAttentionBias;
    boolean mlpBias = bool(json, "mlp_bias");
    Optional<RopeScaling> scaling = Optional.empty();
    if (json.has("rope_scaling") && json.get("rope_scaling").isJsonObject()) {
      JsonObject rs = json.getAsJsonObject("rope_scaling");
      String ropeType = present(rs, "rope_type") ? string(rs, "rope_type") : present(rs, "type") ? string(rs, "type") : "";
      if (!ropeType.equals("llama3")) {
        throw new ModelConfigException("rope_scaling of type \"" + ropeType + "\" is not supported (only llama3)");
      }
      scaling = Optional.of(new RopeScaling(positive(rs, "rope_scaling.", "factor"),
          positive(rs, "rope_scaling.", "low_freq_factor"), positive(rs, "rope_scaling.", "high_freq_factor"),
          (int) positive(rs, "rope_scaling.", "original_max_position_embeddings")));
      if (scaling.get().originalMaxPositions() < 1 || scaling.get().highFreqFactor() <= scaling.get().lowFreqFactor()) {
        throw new ModelConfigException("rope_scaling: original_max_position_embeddings must be at least 1 and "
            + "high_freq_factor above low_freq_factor, got " + rs);
      }
    }
    // Mistral's sliding window (null in Mistral 7B v0.2 and later: none). Qwen2's sliding_window counts only with
    // use_sliding_window, which peft4j's Qwen2 does not implement; Llama has none.
    if (type.equals("mistral") && present(json, "sliding_window") && integer(json, "sliding_window") < 1) {
      throw new ModelConfigException("sliding_window must be a positive integer or null, got " + json.get("sliding_window"));
    }
    Map<String, Object> raw = ConfigFields.raw(json);
    return new LlamaConfig(type, hidden, integer(json, "intermediate_size"),
        ConfigFields.layerCount(json), heads, kvHeads, headDim, integer(json, "vocab_size"),
        present(json, "max_position_embeddings") ? integer(json, "max_position_embeddings") : 2048,
        present(json, "rms_norm_eps") ? number(json, "", "rms_norm_eps") : 1e-6,
        present(json, "rope_theta") ? number(json, "", "rope_theta") : 10000.0,
        scaling,
        bool(json, "tie_word_embeddings"),
        bias, llamaAttentionBias && !type.equals("qwen2"), mlpBias, qwen3, raw);
  }

  /**
   * Mistral's {@code sliding_window}: a position attends to itself and the {@code sliding_window − 1} positions
   * before it; 0 for none (absent or null, or a model type other than mistral).
   */
  public int slidingWindow() {
    return modelType.equals("mistral") && raw.get("sliding_window") instanceof Number window ? window.intValue() : 0;
  }

  @Override
  public String features() {
    return (attentionBias ? ", q/k/v biases" : "") + (qkNorm ? ", q/k norms" : "");
  }

  @Override
  public String toJson(String torchDtype) {
    Map<String, Object> out = ConfigFields.sizes(raw, this);
    out.put("rms_norm_eps", rmsNormEps);
    out.put("rope_theta", ropeTheta);
    return ConfigFields.toJson(out, this, torchDtype);
  }

}
