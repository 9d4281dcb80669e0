package dev.peft4j.runtime.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.testing.Fuzzing;
import dev.peft4j.runtime.testing.Runs;
import dev.peft4j.runtime.validate.ValidationReport;
import java.nio.file.Path;
import java.util.List;

/**
 * Run files as the fuzzer writes them, through {@code validate}: HOCON parsing, overrides, every setting's check and
 * the model's config.json (a tiny one next to the file, named {@code models/tiny}).
 */
class RunFileFuzzTest {

  private static final Path FOLDER = Fuzzing.folder("run-file");
  private static final Peft4j PEFT4J = Peft4j.builder().build();

  static {
    new Runs(FOLDER);
  }

  @FuzzTest(maxDuration = "4s")
  void fuzz(byte[] input) {
    fuzzerTestOneInput(input);
  }

  /** The entry point of a long run (bench/fuzz.sh), the same as the test's. */
  public static void fuzzerTestOneInput(byte[] input) {
    Path file = FOLDER.resolve("run.conf");
    Fuzzing.write(file, input);
    Fuzzing.expectWorksOrUserError(() -> {
      ValidationReport report = PEFT4J.validate(file, List.of());
      for (SettingProblem problem : report.problems()) {
        Fuzzing.requireUserMessage(problem.toString());
      }
      report.violations().forEach(v -> Fuzzing.requireUserMessage(v.toString()));
    });
  }
}
