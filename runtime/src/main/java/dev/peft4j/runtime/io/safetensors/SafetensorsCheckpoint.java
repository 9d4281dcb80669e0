package dev.peft4j.runtime.io.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.peft4j.runtime.nn.Precision;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The weights of a Hugging Face model folder: {@code model.safetensors}, or the shards that
 * {@code model.safetensors.index.json} lists. Like transformers, a folder with both uses {@code model.safetensors}.
 * Every file is opened and validated by {@link #open}; tensors are read one at a time.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {

  public static final String SINGLE_FILE = "model.safetensors";
  public static final String INDEX_FILE = "model.safetensors.index.json";

  private final Path folder;
  private final Path source;
  private final List<SafetensorsFile> files;
  private final Map<String, SafetensorsFile> fileOf;

  private SafetensorsCheckpoint(Path folder, Path source, List<SafetensorsFile> files, Map<String, SafetensorsFile> fileOf) {
    this.folder = folder;
    this.source = source;
    this.files = List.copyOf(files);
    this.fileOf = Collections.unmodifiableMap(fileOf);
  }

  /**
   * Opens the weights of the model folder {@code folder}.
   *
   * @throws SafetensorsException if the folder has no safetensors weights, or a file is missing or malformed
   */
  public static SafetensorsCheckpoint open(Path folder) {
    if (!Files.isDirectory(folder)) {
      throw new SafetensorsException(folder + " is not a folder: a model must be a Hugging Face model folder with "
          + SINGLE_FILE + " or " + INDEX_FILE + " and its shards");
    }
    Path single = folder.resolve(SINGLE_FILE);
    if (Files.isRegularFile(single)) {
      SafetensorsFile file = SafetensorsFile.open(single);
      Map<String, SafetensorsFile> fileOf = new LinkedHashMap<>();
      file.tensors().keySet().forEach(name -> fileOf.put(name, file));
      return new SafetensorsCheckpoint(folder, single, List.of(file), fileOf);
    }
    Path index = folder.resolve(INDEX_FILE);
    if (Files.isRegularFile(index)) {
      return openSharded(folder, index);
    }
    throw new SafetensorsException(folder + " has neither " + SINGLE_FILE + " nor " + INDEX_FILE + " (it holds: "
        + listing(folder) + "). peft4j reads weights in safetensors only: save the model with transformers'"
        + " save_pretrained(folder, safe_serialization=True)");
  }

  private static SafetensorsCheckpoint openSharded(Path folder, Path index) {
    Map<String, String> weightMap = weightMap(index);
    Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
    try {
      for (String shardName : new TreeSet<>(weightMap.values())) {
        Path shard = folder.resolve(shardName).normalize();
        if (!shard.startsWith(folder.normalize()) || shardName.isEmpty()) {
          throw new SafetensorsException(index + " names the shard \"" + shardName + "\", which is outside "
              + folder + ": a shard must be a file of the model folder");
        }
        if (!Files.isRegularFile(shard)) {
          String tensor = weightMap.entrySet().stream().filter(e -> e.getValue().equals(shardName))
              .map(Map.Entry::getKey).findFirst().orElseThrow();
          throw new SafetensorsException(index + " puts tensor \"" + tensor + "\" (and maybe others) in " + shardName
              + ", but " + folder + " has no such file: the download or copy is incomplete; fetch the missing shard");
        }
        shards.put(shardName, SafetensorsFile.open(shard));
      }
      Map<String, SafetensorsFile> fileOf = new LinkedHashMap<>();
      for (Map.Entry<String, String> entry : weightMap.entrySet()) {
        SafetensorsFile shard = shards.get(entry.getValue());
        if (!shard.tensors().containsKey(entry.getKey())) {
          throw new SafetensorsException(index + " puts tensor \"" + entry.getKey() + "\" in " + entry.getValue()
              + ", but that shard has no such tensor" + ClosestNames.describe(entry.getKey(), shard.tensors().keySet())
              + ". The index and its shards do not belong together: save the model again");
        }
        fileOf.put(entry.getKey(), shard);
      }
      return new SafetensorsCheckpoint(folder, index, new ArrayList<>(shards.values()), fileOf);
    } catch (RuntimeException e) {
      shards.values().forEach(SafetensorsFile::close);
      throw e;
    }
  }

  private static Map<String, String> weightMap(Path index) {
    JsonElement root;
    try {
      root = JsonParser.parseString(Files.readString(index, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new SafetensorsException(index + " cannot be read: " + e.getMessage(), e);
    } catch (JsonParseException e) {
      throw new SafetensorsException(index + " is not valid JSON (" + e.getMessage() + "): save the model again", e);
    }
    JsonElement map = root.isJsonObject() ? root.getAsJsonObject().get("weight_map") : null;
    if (map == null || !map.isJsonObject()) {
      throw new SafetensorsException(index + " has no \"weight_map\" object (tensor name -> shard file):"
          + " it is not a safetensors index; save the model again");
    }
    Map<String, String> weightMap = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : ((JsonObject) map).entrySet()) {
      if (!e.getValue().isJsonPrimitive() || !e.getValue().getAsJsonPrimitive().isString()) {
        throw new SafetensorsException(index + ": weight_map must map tensor names to shard file names, but \""
            + e.getKey() + "\" maps to " + e.getValue() + "; save the model again");
      }
      weightMap.put(e.getKey(), e.getValue().getAsString());
    }
    return weightMap;
  }

  /** The model folder. */
  public Path folder() {
    return folder;
  }

  /** The file the names come from: {@code model.safetensors} or the index. */
  public Path source() {
    return source;
  }

  /** Every tensor name: in offset order for a single file, in the index's order for shards. */
  public Set<String> names() {
    return fileOf.keySet();
  }

  /**
   * The header entry of tensor {@code name}.
   *
   * @throws SafetensorsException if there is no such tensor, naming the closest names that exist
   */
  public TensorInfo info(String name) {
    return fileHolding(name).tensors().get(name);
  }

  /** The file that holds tensor {@code name}. */
  public Path fileOf(String name) {
    return fileHolding(name).path();
  }

  /** Tensor {@code name} as FLOAT32 (converted from F16, BF16 or F64 if need be). */
  public NDArray read(String name, NDManager manager) {
    return fileHolding(name).read(name, manager);
  }

  /**
   * Tensor {@code name} as FLOAT32, refused unless its shape is {@code expectedShape}.
   *
   * @throws SafetensorsException if there is no such tensor, or it has another shape (naming the file and both shapes)
   */
  public NDArray read(String name, NDManager manager, long... expectedShape) {
    return read(name, manager, Precision.FP32, expectedShape);
  }

  /**
   * Tensor {@code name} in the dtype {@code precision} stores weights in, refused unless its shape is {@code
   * expectedShape}.
   *
   * @throws SafetensorsException if there is no such tensor, or it has another shape (naming the file and both shapes)
   */
  public NDArray read(String name, NDManager manager, Precision precision, long... expectedShape) {
    SafetensorsFile file = fileHolding(name);
    TensorInfo info = file.tensors().get(name);
    if (!Arrays.equals(info.shape(), expectedShape)) {
      throw new SafetensorsException("tensor \"" + name + "\" in " + file.path() + " has shape " + info.shapeText()
          + ", but the model expects " + Arrays.toString(expectedShape) + ": the weights in " + folder
          + " do not belong to the model its config.json describes (check hidden_size, intermediate_size,"
          + " the head counts and vocab_size)");
    }
    return file.read(name, manager, precision);
  }

  private SafetensorsFile fileHolding(String name) {
    SafetensorsFile file = fileOf.get(name);
    if (file == null) {
      throw new SafetensorsException(folder + " has no tensor \"" + name + "\" (in " + source.getFileName() + ")"
          + ClosestNames.describe(name, fileOf.keySet()));
    }
    return file;
  }

  @Override
  public void close() {
    files.forEach(SafetensorsFile::close);
  }

  @Override
  public String toString() {
    return folder + " (" + fileOf.size() + " tensors in " + files.size() + " file" + (files.size() == 1 ? "" : "s") + ")";
  }

  private static String listing(Path folder) {
    try (Stream<Path> entries = Files.list(folder)) {
      List<String> names = entries.map(p -> p.getFileName().toString()).sorted().limit(10).toList();
      return names.isEmpty() ? "nothing" : String.join(", ", names);
    } catch (IOException e) {
      return "unreadable: " + e.getMessage();
    }
  }
}
