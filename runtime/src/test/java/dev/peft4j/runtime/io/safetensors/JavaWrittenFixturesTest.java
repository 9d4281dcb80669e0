package dev.peft4j.runtime.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.runtime.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer's output is byte-for-byte the files in {@code fixtures/java-written}, which Python's safetensors and
 * transformers were shown to load ({@code runtime/src/test/python/check_fixtures.py}). When the writer changes on
 * purpose, regenerate them with {@code -Dpeft4j.fixtures.regenerate=true} and run check_fixtures.py again.
 */
class JavaWrittenFixturesTest {

  static final String FOLDER = "java-written";
  static final String RESHARDED = "llama3-tiny-resharded";

  @TempDir
  Path dir;

  /** Values that test rounding: ties, subnormals, overflow, signed zero, infinities, NaN (check_fixtures.py has the same list). */
  static final float[] KNOWN = {
      0f, -0f, 1f, -1f, 0.1f, 1f / 3, -2.5f, 65504f, 65519.996f, 65520f, 70000f, 1e-7f, 6e-8f, 0x1p-25f, 3 * 0x1p-25f,
      1 + 0x1p-8f, 1 + 3 * 0x1p-8f, 1 + 0x1p-11f, 1 + 3 * 0x1p-11f, 1e-40f, Float.MAX_VALUE, -Float.MAX_VALUE,
      Float.MIN_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};

  /** 1024 float32 bit patterns from a 32-bit linear congruential generator (x = 1664525 x + 1013904223, x0 = 1). */
  static float[] lcg() {
    float[] values = new float[1024];
    int x = 1;
    for (int i = 0; i < values.length; i++) {
      x = 1664525 * x + 1013904223;
      values[i] = Float.intBitsToFloat(x);
    }
    return values;
  }

  private static Map<String, NDArray> sample(NDManager manager) {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    tensors.put("known", manager.create(KNOWN, new Shape(KNOWN.length)));
    tensors.put("lcg", manager.create(lcg(), new Shape(32, 32)));
    tensors.put("scalar", manager.create(new float[] {-1.5f}, new Shape()));
    tensors.put("empty", manager.create(new float[0], new Shape(0, 4)));
    return tensors;
  }

  /** Writes every Java-written fixture under {@code root}. */
  private static void writeAll(Path root) throws IOException {
    try (NDManager manager = NDManager.newBaseManager()) {
      Map<String, NDArray> tensors = sample(manager);
      Map<String, String> metadata = Map.of("made_by", "peft4j JavaWrittenFixturesTest");
      SafetensorsWriter.write(root.resolve("f32.safetensors"), tensors, metadata, "F32");
      SafetensorsWriter.write(root.resolve("bf16.safetensors"), tensors, metadata, "BF16");
      SafetensorsWriter.write(root.resolve("f16.safetensors"), tensors, metadata, "F16");

      // llama3-tiny (BF16 shards by transformers) read and written again as BF16 in shards of our own
      Path source = Fixtures.path(Fixtures.LLAMA3);
      Path target = root.resolve(RESHARDED);
      Files.createDirectories(target);
      Map<String, NDArray> weights = new LinkedHashMap<>();
      try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(source)) {
        for (String name : checkpoint.names().stream().sorted().toList()) {
          weights.put(name, checkpoint.read(name, manager));
        }
      }
      SafetensorsWriter.writeSharded(target, weights, Map.of(), 16 * 1024, "BF16");
      Files.copy(source.resolve("config.json"), target.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Test
  void theWriterReproducesTheFilesPythonWasShownToLoad() throws IOException {
    boolean regenerate = Boolean.getBoolean("peft4j.fixtures.regenerate");
    if (regenerate) {
      writeAll(Fixtures.sourceRoot().resolve(FOLDER));
    }
    writeAll(dir);
    Path golden = regenerate ? Fixtures.sourceRoot().resolve(FOLDER) : Fixtures.path(FOLDER);
    List<String> written = relativeFiles(dir);
    assertThat(written).containsExactlyElementsOf(relativeFiles(golden)).hasSizeGreaterThanOrEqualTo(8);
    for (String file : written) {
      assertThat(Files.readAllBytes(dir.resolve(file)))
          .as(file + " differs from fixtures/java-written: if the writer changed on purpose, run the tests with"
              + " -Dpeft4j.fixtures.regenerate=true, then runtime/src/test/python/check_fixtures.py")
          .isEqualTo(Files.readAllBytes(golden.resolve(file)));
    }
    assertThat(written).contains(RESHARDED + "/model.safetensors.index.json", RESHARDED + "/model-00002-of-00004.safetensors");
  }

  @Test
  void theReshardedModelHoldsTheSameBitsAsTheOriginal() {
    try (SafetensorsCheckpoint original = SafetensorsCheckpoint.open(Fixtures.path(Fixtures.LLAMA3));
        SafetensorsCheckpoint resharded = SafetensorsCheckpoint.open(Fixtures.path(FOLDER).resolve(RESHARDED))) {
      assertThat(resharded.names()).containsExactlyInAnyOrderElementsOf(original.names());
      for (String name : original.names()) {
        assertThat(resharded.info(name).dtype()).isEqualTo("BF16");
        assertThat(resharded.info(name).shape()).isEqualTo(original.info(name).shape());
        try (SafetensorsFile a = SafetensorsFile.open(original.fileOf(name)); SafetensorsFile b = SafetensorsFile.open(resharded.fileOf(name))) {
          assertThat(b.readFloats(name)).as(name).isEqualTo(a.readFloats(name));
        }
      }
    }
  }

  private static List<String> relativeFiles(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/')).sorted().toList();
    }
  }
}
