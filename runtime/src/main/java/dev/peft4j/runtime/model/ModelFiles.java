package dev.peft4j.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.runtime.io.AtomicFolders;
import dev.peft4j.runtime.io.safetensors.SafetensorsCheckpoint;
import dev.peft4j.runtime.io.safetensors.SafetensorsWriter;
import dev.peft4j.runtime.nn.Parameter;
import dev.peft4j.runtime.nn.Precision;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads and writes Hugging Face model folders: {@code config.json}, safetensors weights, tokenizer files. */
public final class ModelFiles {

  /** Tokenizer files copied along with a model so that the folder stays usable by transformers. */
  public static final List<String> TOKENIZER_FILES = List.of(
      "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json",
      "chat_template.jinja");

  /** safetensors dtypes a model folder is written in, and transformers' {@code torch_dtype} for each. */
  private static final Map<String, String> TORCH_DTYPES = Map.of("F32", "float32", "BF16", "bfloat16", "F16", "float16");

  private ModelFiles() {}

  /**
   * The dtype the weights of the model folder {@code folder} are stored in ({@code F32}, {@code BF16} or {@code
   * F16}; F64 is written as F32), as the embeddings are: what a model trained or merged from it is written in.
   */
  public static String weightsDtype(Path folder) {
    try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(folder)) {
      String dtype = checkpoint.info("model.embed_tokens.weight").dtype();
      return TORCH_DTYPES.containsKey(dtype) ? dtype : "F32";
    }
  }

  /** Loads the model in {@code folder}, computing in float32 on {@code manager}. */
  public static CausalLm load(Path folder, NDManager manager) {
    return load(folder, manager, Precision.FP32);
  }

  /** Loads the model in {@code folder} to compute in {@code precision} on {@code manager}, weights stored as it says. */
  public static CausalLm load(Path folder, NDManager manager, Precision precision) {
    return load(folder, manager, precision, layer -> {});
  }

  /**
   * As {@link #load(Path, NDManager, Precision)}, each decoder layer given to {@code store} as soon as its weights are
   * read ({@link WeightSource#storingLayers}).
   */
  public static CausalLm load(Path folder, NDManager manager, Precision precision,
      java.util.function.Consumer<DecoderLayer> store) {
    ModelConfig config = ModelCheck.check(folder);
    try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(folder)) {
      WeightSource weights = (name, shape) -> checkpoint.read(name, manager, precision, shape);
      return ModelFamilies.BUILT_IN.of(config).create(config, weights.storingLayers(store), precision);
    }
  }

  /**
   * Writes {@code model} as a Hugging Face folder (config, {@code model.safetensors} in F32, the tokenizer files
   * found in {@code tokenizerSource}); the folder appears whole or not at all.
   */
  public static void save(CausalLm model, Path folder, Path tokenizerSource) {
    save(model, folder, tokenizerSource, model.namedParameters().keySet(), "F32");
  }

  /**
   * Writes only the parameters named in {@code names} (the base model's, when an adapter is merged in), as
   * {@code dtype} ({@code F32}, {@code BF16} or {@code F16}: the base's own, {@link #weightsDtype}), with the
   * matching {@code torch_dtype} in config.json.
   */
  public static void save(CausalLm model, Path folder, Path tokenizerSource, java.util.Set<String> names,
      String dtype) {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, Parameter> entry : model.namedParameters().entrySet()) {
      if (names.contains(entry.getKey())) {
        tensors.put(entry.getKey(), entry.getValue().data());
      }
    }
    AtomicFolders.write(folder, target -> {
      Files.writeString(target.resolve("config.json"), model.config().toJson(TORCH_DTYPES.get(dtype)), StandardCharsets.UTF_8);
      SafetensorsWriter.write(target.resolve("model.safetensors"), tensors, Map.of("format", "pt"), dtype);
      copyTokenizer(tokenizerSource, target);
    });
  }

  static void copyTokenizer(Path from, Path to) throws IOException {
    if (from == null) {
      return;
    }
    for (String name : TOKENIZER_FILES) {
      if (Files.isRegularFile(from.resolve(name))) {
        Files.copy(from.resolve(name), to.resolve(name));
      }
    }
  }
}
