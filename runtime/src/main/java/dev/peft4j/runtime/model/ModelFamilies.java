package dev.peft4j.runtime.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.runtime.model.gemma2.Gemma2Family;
import dev.peft4j.runtime.model.llama.LlamaFamily;
import dev.peft4j.runtime.model.phi3.Phi3Family;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The model families peft4j builds, by {@code model_type}. Built in for now: a family is one package and one entry
 * in {@link #BUILT_IN}. The registry is an immutable value, so that a later one may also hold families found as
 * plugins.
 */
public final class ModelFamilies {

  /** The families built into the runtime. */
  public static final ModelFamilies BUILT_IN = new ModelFamilies(List.of(new LlamaFamily(), new Phi3Family(), new Gemma2Family()));

  private final Map<String, ModelFamily> byType;

  public ModelFamilies(List<ModelFamily> families) {
    Map<String, ModelFamily> types = new LinkedHashMap<>();
    for (ModelFamily family : families) {
      for (String type : family.modelTypes()) {
        if (types.putIfAbsent(type, family) != null) {
          throw new IllegalArgumentException("model_type " + type + " is built by two families: "
              + types.get(type).getClass().getName() + " and " + family.getClass().getName());
        }
      }
    }
    this.byType = Map.copyOf(types);
  }

  /** The family of {@code modelType}, if one builds it. */
  public Optional<ModelFamily> of(String modelType) {
    return Optional.ofNullable(byType.get(modelType));
  }

  /** Every {@code model_type} supported, sorted. */
  public List<String> modelTypes() {
    return List.copyOf(new TreeSet<>(byType.keySet()));
  }

  /** The family that builds the model whose config is {@code config}. */
  public ModelFamily of(ModelConfig config) {
    return of(config.modelType()).orElseThrow(() -> new IllegalArgumentException("no family builds " + config.modelType()));
  }

  /** Reads {@code folder}'s config.json strictly, through the family its model_type names. */
  public ModelConfig read(Path folder) {
    return readFile(folder.resolve("config.json"));
  }

  /**
   * Reads a config.json of any name.
   *
   * @throws ModelConfigException when it is missing, malformed, of an unsupported model_type, or wrong for its family
   */
  public ModelConfig readFile(Path file) {
    JsonObject json = json(file);
    return family(json, file).config(json, file);
  }

  /**
   * What {@code folder}'s config.json says of the model's structure even when the strict read refuses it (a missing
   * {@code num_hidden_layers}, say), so that the rules between methods can still say what they need; empty when not
   * even that can be read.
   */
  public Optional<ModelInfo> structure(Path folder) {
    Path file = folder.resolve("config.json");
    try {
      JsonObject json = json(file);
      return Optional.of(family(json, file).info(json));
    } catch (ModelConfigException e) {
      return Optional.empty();
    }
  }

  private static JsonObject json(Path file) {
    try {
      JsonElement parsed = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
      if (!parsed.isJsonObject()) {
        throw new ModelConfigException(file + " is not a JSON object");
      }
      return parsed.getAsJsonObject();
    } catch (NoSuchFileException e) {
      throw new ModelConfigException(file + " does not exist: model.path must be a Hugging Face model folder with a "
          + "config.json (`peft4j init-model` makes one)");
    } catch (IOException e) {
      throw new ModelConfigException(file + " cannot be read: " + e.getMessage());
    } catch (JsonParseException e) {
      throw new ModelConfigException(file + " is not valid JSON: " + e.getMessage());
    }
  }

  private ModelFamily family(JsonObject json, Path file) {
    JsonElement type = json.get("model_type");
    String modelType = type != null && type.isJsonPrimitive() ? type.getAsString() : null;
    ModelFamily family = modelType == null ? null : byType.get(modelType);
    if (family == null) {
      throw new ModelConfigException(file + ": model_type " + (modelType == null ? "is missing" : "\"" + modelType
          + "\" is not supported") + "; peft4j supports " + String.join(", ", modelTypes()));
    }
    return family;
  }
}
