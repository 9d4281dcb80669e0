package dev.peft4j.runtime.model;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.peft4j.runtime.testing.Fuzzing;
import java.nio.file.Path;

/**
 * config.json as the fuzzer writes it, read as validate reads it ({@link ModelConfigs}), as plan and train do
 * ({@link ModelCheck}), and shaped as the planner shapes it.
 */
class ConfigJsonFuzzTest {

  private static final Path FOLDER = Fuzzing.folder("config-json");

  @FuzzTest(maxDuration = "4s")
  void fuzz(byte[] input) {
    fuzzerTestOneInput(input);
  }

  public static void fuzzerTestOneInput(byte[] input) {
    Fuzzing.write(FOLDER.resolve("config.json"), input);
    Fuzzing.expectWorksOrUserError(() -> ModelFamilies.BUILT_IN.read(FOLDER));
    Fuzzing.expectWorksOrUserError(() -> {
      ModelConfig config = ModelCheck.check(FOLDER);
      ModelFamilies.BUILT_IN.of(config).shape(config, false, 4).size();
    });
  }
}
