package dev.peft4j.runtime.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The reference fixtures of {@code runtime/src/test/resources/fixtures}, made by Hugging Face's own code
 * ({@code runtime/src/test/python/make_fixtures.py}; see the README there).
 */
public final class Fixtures {

  /** The tiny models: Llama (F32), Qwen2 (F32, tied embeddings, q/k/v biases), Llama 3 (BF16, sharded, llama3 rope). */
  public static final String LLAMA = "llama-tiny";
  public static final String QWEN2 = "qwen2-tiny";
  public static final String LLAMA3 = "llama3-tiny";

  private Fixtures() {}

  /** The fixtures folder, as copied to the test classpath. */
  public static Path root() {
    URL readme = Fixtures.class.getResource("/fixtures/README.md");
    if (readme == null) {
      throw new IllegalStateException("fixtures/README.md is not on the test classpath");
    }
    try {
      return Path.of(readme.toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A fixture's path, such as {@code Fixtures.path("llama-tiny")}. */
  public static Path path(String relative) {
    return root().resolve(relative);
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
