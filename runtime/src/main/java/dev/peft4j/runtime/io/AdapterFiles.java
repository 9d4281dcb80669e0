package dev.peft4j.runtime.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.ToNumberPolicy;
import dev.peft4j.api.AdapterState;
import dev.peft4j.api.Peft4jException;
import dev.peft4j.runtime.io.safetensors.SafetensorsFile;
import dev.peft4j.runtime.io.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Adapters in Hugging Face PEFT's layout: {@code adapter_config.json} and {@code adapter_model.safetensors}. */
public final class AdapterFiles {

  public static final String CONFIG = "adapter_config.json";
  public static final String WEIGHTS = "adapter_model.safetensors";

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls()
      .setObjectToNumberStrategy(ToNumberPolicy.LONG_OR_DOUBLE).create();

  private AdapterFiles() {}

  /** Writes an adapter folder whole or not at all; {@code baseModel} goes into base_model_name_or_path. */
  public static void write(Path folder, AdapterState state, String baseModel) {
    Map<String, Object> config = new LinkedHashMap<>(state.config());
    config.put("base_model_name_or_path", baseModel);
    AtomicFolders.write(folder, target -> {
      AtomicFolders.writeDurably(target.resolve(CONFIG), GSON.toJson(config));
      SafetensorsWriter.write(target.resolve(WEIGHTS), state.tensors(), Map.of("format", "pt"));
    });
  }

  /** Reads an adapter folder, tensors on {@code manager}. */
  @SuppressWarnings("unchecked")
  public static AdapterState read(Path folder, NDManager manager) {
    Path config = folder.resolve(CONFIG);
    if (!Files.isRegularFile(config) || !Files.isRegularFile(folder.resolve(WEIGHTS))) {
      throw new Peft4jException(folder + " is not an adapter folder: it needs " + CONFIG + " and " + WEIGHTS);
    }
    Map<String, Object> json;
    try {
      json = GSON.fromJson(Files.readString(config, StandardCharsets.UTF_8), Map.class);
    } catch (IOException | JsonParseException e) {
      throw new Peft4jException(config + " cannot be read: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      // Gson's map adapter throws more than its parse errors on broken JSON (a null key: NullPointerException).
      throw new Peft4jException(config + " is not a JSON object as PEFT writes it (" + e + "): save the adapter again", e);
    }
    if (json == null) {
      throw new Peft4jException(config + " is empty: an adapter folder needs its adapter_config.json (as PEFT writes it)");
    }
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    try (SafetensorsFile file = SafetensorsFile.open(folder.resolve(WEIGHTS))) {
      for (String name : file.tensors().keySet()) {
        tensors.put(name, file.read(name, manager));
      }
    }
    return new AdapterState(tensors, json);
  }
}
