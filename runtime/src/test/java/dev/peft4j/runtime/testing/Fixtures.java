package dev.peft4j.runtime.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The reference fixtures of {@code runtime/src/test/resources/fixtures}, made by Hugging Face's own code
 * ({@code runtime/src/test/python/make_fixtures.py}; see the README there).
 */
public final class Fixtures {

  /**
   * The tiny models: Llama (F32), Qwen2 (F32, tied embeddings, q/k/v biases), Qwen3 (F32, q/k norms, head_dim 16 apart
   * from hidden / heads), Phi-3 (F32, fused qkv_proj and gate_up_proj, sliding window 4), Llama 3 (BF16, sharded,
   * llama3 rope), Gemma 2 (F32, soft-caps, (1 + w) norms, a sliding window on layer 0, tied embeddings), Mistral (F32, sliding window 4; made by
   * make_generate_fixtures.py).
   */
  public static final String LLAMA = "llama-tiny";
  public static final String QWEN2 = "qwen2-tiny";
  public static final String QWEN3 = "qwen3-tiny";
  public static final String PHI3 = "phi3-tiny";
  public static final String GEMMA2 = "gemma2-tiny";
  public static final String LLAMA3 = "llama3-tiny";
  public static final String MISTRAL = "mistral-tiny";

  private Fixtures() {}

  /**
   * The runtime's fixtures folder (the models, tokenizers and logits every module's tests use), in the source tree:
   * tests run with their module's folder as the working folder, the runtime's own or a sibling's.
   */
  public static Path root() {
    Path own = Path.of("src", "test", "resources", "fixtures", "llama-tiny");
    return Files.isDirectory(own) ? own.getParent() : Path.of("..", "runtime", "src", "test", "resources", "fixtures");
  }

  /**
   * A fixture's path, such as {@code Fixtures.path("llama-tiny")}: in the testing module's own fixtures folder if it
   * has it, else in the runtime's, else in a built-in method's (its reference fixtures: {@code peft/lora} is
   * method-lora's), for the modules that test every method together.
   */
  public static Path path(String relative) {
    Path own = Path.of("src", "test", "resources", "fixtures").resolve(relative);
    if (Files.exists(own) || Files.exists(root().resolve(relative))) {
      return Files.exists(own) ? own : root().resolve(relative);
    }
    for (String method : List.of("lora", "galore", "badam", "freeze")) {
      Path theirs = Path.of("..", "method-" + method, "src", "test", "resources", "fixtures").resolve(relative);
      if (Files.exists(theirs)) {
        return theirs;
      }
    }
    return own;
  }

  /** The fixtures folder in the source tree, for tests that regenerate fixtures (the working folder is the module's). */
  public static Path sourceRoot() {
    return Path.of("src", "test", "resources", "fixtures");
  }

  public static JsonObject json(Path file) {
    try {
      return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A JSON array of integer rows ({@code input_ids}, {@code attention_mask}) as int rows. */
  public static int[][] ints(com.google.gson.JsonArray rows) {
    int[][] result = new int[rows.size()][];
    for (int i = 0; i < rows.size(); i++) {
      com.google.gson.JsonArray row = rows.get(i).getAsJsonArray();
      result[i] = new int[row.size()];
      for (int j = 0; j < row.size(); j++) {
        result[i][j] = row.get(j).getAsInt();
      }
    }
    return result;
  }

  /** The same rows flattened, row after row, as token ids for an INT64 array. */
  public static long[] longs(com.google.gson.JsonArray rows) {
    int[][] values = ints(rows);
    long[] flat = new long[values.length * values[0].length];
    for (int b = 0; b < values.length; b++) {
      for (int t = 0; t < values[0].length; t++) {
        flat[b * values[0].length + t] = values[b][t];
      }
    }
    return flat;
  }
}
