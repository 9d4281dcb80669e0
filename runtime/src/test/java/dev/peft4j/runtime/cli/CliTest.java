package dev.peft4j.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peft4j.api.ApiVersion;
import dev.peft4j.runtime.testing.Runs;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line in this JVM: output, errors and exit codes. */
class CliTest {

  @TempDir
  Path dir;

  private Runs runs;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeEach
  void setUp() {
    runs = new Runs(dir);
  }

  private int peft4j(String... args) {
    return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  void methodsListsEveryMethodWithItsSettingsDefaultsAndRules() {
    assertThat(peft4j("methods")).isZero();

    assertThat(out.toString())
        .contains("5 methods (peft4j API " + ApiVersion.CURRENT + ")")
        .contains("lora ", "galore ", "badam ", "freeze ", "full ")
        .contains("adapter, optimizer-hook")
        .contains("jar: ").contains("method-lora")
        .contains("settings (peft4j.lora):", "    rank = 8", "Rank r of the update")
        .contains("    update-interval = 200")
        .contains("error not-with-galore: when lora is chosen and galore is chosen");
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void validateAcceptsAValidRun() {
    Path run = runs.runFile("methods = [lora]");

    assertThat(peft4j("validate", run.toString())).isZero();
    assertThat(out.toString()).contains("is valid: methods lora; model llama, 2 layers");
  }

  @Test
  void validateRefusesLoraWithGaloreNamingBothAndTheLine() {
    Path run = runs.runFile("methods = [lora, galore]");

    assertThat(peft4j("validate", run.toString())).isEqualTo(1);
    assertThat(err.toString())
        .contains("error: the run cannot start: 1 broken rule between methods:")
        .contains("1. [lora, galore] LoRA cannot be combined with GaLore")
        .contains("lora chosen at " + run + ":2", "galore chosen at " + run + ":2");
  }

  @Test
  void validateSuggestsTheKeyMeantForATypo() {
    Path run = runs.runFile("methods = [lora]", "lora.rnak = 8");

    assertThat(peft4j("validate", run.toString())).isEqualTo(1);
    assertThat(err.toString()).contains(run + ":3", "unknown key 'rnak': did you mean 'rank'?");
  }

  @Test
  void validateTakesOverrides() {
    Path run = runs.runFile("methods = [lora]");

    assertThat(peft4j("validate", run.toString(), "--set", "methods=[full, badam]", "--set", "badam.verbose=7")).isEqualTo(1);
    assertThat(err.toString()).contains("peft4j.badam.verbose (--set badam.verbose=7): must be 0, 1 or 2, got 7");
  }

  @Test
  void validatePrintsWarningsAndStillSucceeds() {
    Path run = runs.runFile("methods = [full]", "galore.rank = 4");

    assertThat(peft4j("validate", run.toString())).isZero();
    assertThat(err.toString()).contains("warning: galore is not in methods, so its settings have no effect",
        "galore.rank at " + run + ":3");
  }

  @Test
  void trainingWithAMethodThatCannotTrainYetSaysSo() {
    Path run = runs.runFile("methods = [full, badam]", "data.train = " + Path.of("..", "examples", "data", "train.jsonl")
        .toAbsolutePath());

    assertThat(peft4j("train", run.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("error: ", "badam", "not implemented yet");
  }


  @Test
  void aMissingRunFileIsAnErrorWithoutAStackTrace() {
    assertThat(peft4j("validate", dir.resolve("nope.conf").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("nope.conf", "does not exist").doesNotContain("at dev.peft4j");
  }

  @Test
  void versionNamesTheApi() {
    assertThat(peft4j("--version")).isZero();
    assertThat(out.toString()).contains("peft4j ", "(API " + ApiVersion.CURRENT + ")");
  }

  @Test
  void everyCommandHasHelp() {
    for (String command : List.of("methods", "validate", "train", "init-model", "generate", "evaluate")) {
      out.getBuffer().setLength(0);
      assertThat(peft4j(command, "--help")).isZero();
      assertThat(out.toString()).startsWith("Usage: peft4j " + command);
    }
    out.getBuffer().setLength(0);
    assertThat(peft4j("--help")).isZero();
    assertThat(out.toString()).contains("methods", "validate", "train", "init-model", "generate", "evaluate", "--plugins");
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    assertThat(peft4j("trian")).isEqualTo(2);
    assertThat(err.toString()).contains("Unmatched argument", "trian");
  }

  @Test
  void everyShippedExampleIsValid() throws IOException {
    // Examples that start from a model a previous step trains (runs/full/model) are checked on the tiny one.
    Path tiny = dev.peft4j.runtime.testing.ExampleModel.ensure();
    List<Path> examples;
    try (Stream<Path> files = Files.list(Path.of("..", "examples"))) {
      examples = files.filter(f -> f.toString().endsWith(".conf")).sorted().toList();
    }
    assertThat(examples).isNotEmpty();
    for (Path example : examples) {
      assertThat(peft4j("validate", example.toString(), "--set", "model.path=\"" + tiny + "\""))
          .as("%s: %s", example, err).isZero();
    }
  }
}
