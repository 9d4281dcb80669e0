package dev.peft4j.runtime.io.safetensors;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.peft4j.runtime.testing.Fuzzing;
import java.nio.file.Path;

/** Safetensors files as the fuzzer writes them (header length, JSON header, data): opened, every tensor read. */
class SafetensorsHeaderFuzzTest {

  private static final Path FOLDER = Fuzzing.folder("safetensors");

  @FuzzTest(maxDuration = "4s")
  void fuzz(byte[] input) {
    fuzzerTestOneInput(input);
  }

  public static void fuzzerTestOneInput(byte[] input) {
    Path file = FOLDER.resolve("model.safetensors");
    Fuzzing.write(file, input);
    Fuzzing.expectWorksOrUserError(() -> {
      try (SafetensorsFile safetensors = SafetensorsFile.open(file)) {
        safetensors.metadata();
        for (String name : safetensors.tensors().keySet()) {
          Fuzzing.expectWorksOrUserError(() -> safetensors.readFloats(name));
        }
      }
    });
  }
}
