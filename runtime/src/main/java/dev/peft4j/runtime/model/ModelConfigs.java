package dev.peft4j.runtime.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.peft4j.api.model.ModelInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/** Reads a model's structure from its Hugging Face {@code config.json}, without touching weights. */
public final class ModelConfigs {

  /** The decoder families peft4j builds: Llama 2/3, TinyLlama, Mistral, Qwen2. */
  public static final Set<String> LLAMA_FAMILY = Set.of("llama", "mistral", "qwen2");

  private static final List<String> LAYER_MODULES = List.of("self_attn", "mlp", "input_layernorm", "post_attention_layernorm");
  private static final List<String> LINEAR_MODULES = List.of(
      "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
      "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj");

  private ModelConfigs() {}

  /**
   * The structure of the model in {@code folder}.
   *
   * @throws ModelConfigException when config.json is missing, malformed, or of an unsupported model type
   */
  public static ModelInfo read(Path folder) {
    Path file = folder.resolve("config.json");
    if (!Files.isRegularFile(file)) {
      throw new ModelConfigException(file + " does not exist: model.path must be a Hugging Face model folder "
          + "with a config.json (`peft4j init-model` makes one)");
    }
    JsonObject json;
    try {
      JsonElement parsed = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
      if (!parsed.isJsonObject()) {
        throw new ModelConfigException(file + " is not a JSON object");
      }
      json = parsed.getAsJsonObject();
    } catch (IOException e) {
      throw new ModelConfigException(file + " cannot be read: " + e.getMessage());
    } catch (JsonParseException e) {
      throw new ModelConfigException(file + " is not valid JSON: " + e.getMessage());
    }
    String type = json.has("model_type") && json.get("model_type").isJsonPrimitive()
        ? json.get("model_type").getAsString() : null;
    if (type == null || !LLAMA_FAMILY.contains(type)) {
      throw new ModelConfigException(file + ": model_type " + (type == null ? "is missing" : "\"" + type + "\" is not supported")
          + "; peft4j supports " + String.join(", ", LLAMA_FAMILY.stream().sorted().toList()));
    }
    OptionalInt layers = OptionalInt.empty();
    if (json.has("num_hidden_layers")) {
      try {
        int n = json.get("num_hidden_layers").getAsInt();
        if (n <= 0) {
          throw new ModelConfigException(file + ": num_hidden_layers must be positive, got " + n);
        }
        layers = OptionalInt.of(n);
      } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException e) {
        throw new ModelConfigException(file + ": num_hidden_layers must be an integer, got " + json.get("num_hidden_layers"));
      }
    }
    boolean tied = json.has("tie_word_embeddings") && json.get("tie_word_embeddings").getAsBoolean();
    return info(type, layers, tied);
  }

  /** The structure of a Llama-family model with {@code layers} decoder layers. */
  public static ModelInfo info(String modelType, OptionalInt layers, boolean tiedEmbeddings) {
    List<String> other = new ArrayList<>(List.of("embed_tokens", "norm"));
    if (!tiedEmbeddings) {
      other.add("lm_head");
    }
    return new ModelInfo(modelType, layers, LAYER_MODULES, LINEAR_MODULES, other);
  }
}
