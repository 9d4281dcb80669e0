package dev.peft4j.runtime.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.runtime.nn.Precision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A read tensor leaves no map of its file behind: the process's maps (Linux's /proc/self/maps) no longer name it. */
class UnmappingTest {

  @TempDir
  Path dir;

  @Test
  void readingATensorLeavesNoMapOfTheFileAndItsValuesStay() throws IOException {
    Path maps = Path.of("/proc/self/maps");
    assumeTrue(Files.isReadable(maps), "needs Linux's /proc/self/maps");
    assertThat(Unmapping.available()).as("sun.misc.Unsafe.invokeCleaner on this JVM").isTrue();
    Path file = dir.resolve("weights.safetensors");
    float[] values = new float[3 * 1000];
    for (int i = 0; i < values.length; i++) {
      values[i] = i * 0.25f;
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      tensors.put("w", manager.create(values, new Shape(3, 1000)));
      SafetensorsWriter.write(file, tensors, Map.of());
      try (SafetensorsFile opened = SafetensorsFile.open(file)) {
        NDArray whole = opened.read("w", manager, Precision.FP32);
        NDArray inPieces = opened.read("w", manager, Precision.FP32, 1000); // four maps of at most 1,000 bytes
        float[] asFloats = opened.readFloats("w");

        assertThat(Files.readAllLines(maps)).noneMatch(line -> line.endsWith(file.toString()));
        assertThat(whole.toFloatArray()).containsExactly(values);
        assertThat(inPieces.toFloatArray()).containsExactly(values);
        assertThat(asFloats).containsExactly(values);
      }
    }
  }
}
