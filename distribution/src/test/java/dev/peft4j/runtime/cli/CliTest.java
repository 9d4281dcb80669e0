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
  void trainingWhatAMethodCannotDoSaysSo() {
    Path run = runs.runFile("methods = [lora]", "model.quantization = nf4", "lora.modules-to-save = [mlp]",
        "data.train = " + Path.of("..", "examples", "data", "train.jsonl").toAbsolutePath());

    assertThat(peft4j("plan", run.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("error: ", "lora.modules-to-save would train model.layers.0.mlp.",
        "4-bit base", "model.quantization = none").doesNotContain("internal error");
  }


  @Test
  void planPrintsPeftsLineTheMemoryTableAndTheRuleCheck() {
    Path run = runs.runFile("methods = [lora]", "lora.target = all-linear");

    assertThat(peft4j("plan", run.toString(), "--set", "training.batch-size=2")).as(err.toString()).isZero();
    String printed = out.toString();
    assertThat(printed).contains("plan for " + run, "model: ", "llama, 2 layers, hidden 64",
        "lora: 14 linear layers adapted", "2 × 512 tokens");
    assertThat(printed).containsPattern("trainable params: [0-9,]+ \\|\\| all params: [0-9,]+ \\|\\| trainable%: [0-9.]+");
    assertThat(printed).containsPattern("(?m)^  weights +[0-9,]+ B")
        .containsPattern("(?m)^  optimizer state +[0-9,]+ B").containsPattern("(?m)^  total +[0-9,]+ B");
    assertThat(printed).contains("rule check: the run can start");
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void planExitsWithOneAndPrintsTheBrokenRulesAfterThePlan() {
    Path run = runs.runFile("methods = [lora, galore]");

    assertThat(peft4j("plan", run.toString())).isEqualTo(1);
    assertThat(out.toString()).contains("trainable params: ", "rule check: the run cannot start",
        "error: the run cannot start: 1 broken rule between methods:", "1. [lora, galore] LoRA cannot be combined with GaLore");
  }

  @Test
  void planRefusesWrongSettingsAsValidateDoes() {
    Path run = runs.runFile("methods = [lora]", "lora.rnak = 8");

    assertThat(peft4j("plan", run.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("error: the run cannot start", run + ":3", "unknown key 'rnak': did you mean 'rank'?");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void planNamesTheConfigFileAndTheMissingKey() throws IOException {
    Path config = dir.resolve("models/tiny/config.json");
    Files.writeString(config, Files.readString(config).replace("\"vocab_size\": 512,", ""));
    Path run = runs.runFile("methods = [full]");

    assertThat(peft4j("plan", run.toString())).isEqualTo(1);
    assertThat(err.toString()).contains(config + ": vocab_size is missing").doesNotContain("at dev.peft4j");
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
    for (String command : List.of("methods", "validate", "plan", "train", "init-model", "generate", "evaluate")) {
      out.getBuffer().setLength(0);
      assertThat(peft4j(command, "--help")).isZero();
      assertThat(out.toString()).startsWith("Usage: peft4j " + command);
    }
    out.getBuffer().setLength(0);
    assertThat(peft4j("--help")).isZero();
    assertThat(out.toString()).contains("methods", "validate", "plan", "train", "init-model", "generate", "evaluate", "--plugins");
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

  /**
   * An adapter folder no installed method claims (its peft_type), one LoRA claims but cannot rebuild, or one whose
   * settings do not fit the model, is refused before anything is written, naming the file and what to do.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource(delimiter = ';', value = {
      "\"peft_type\": \"PISSA\", \"target_modules\": [\"q_proj\"]; peft_type PISSA: no installed method reads this "
          + "adapter; the adapter methods installed are lora. Install the plugin of the method that wrote it",
      "\"target_modules\": [\"q_proj\"]; has no peft_type, and no installed method reads this adapter",
      "\"peft_type\": \"LORA\", \"init_lora_weights\": \"pissa_niter_4\"; init_lora_weights pissa_niter_4 cannot be "
          + "reloaded exactly",
      "\"peft_type\": \"LORA\", \"r\": 4, \"target_modules\": [\"q_porj\"]; no module of this llama model is named "
          + "\"q_porj\": did you mean \"q_proj\"?"})
  void anAdapterThatCannotBeRebuiltIsRefusedNamingTheFile(String config, String message) throws IOException {
    Path adapter = Files.createDirectories(dir.resolve("adapter"));
    Files.copy(dev.peft4j.runtime.testing.Fixtures.path("peft/pissa/adapter_model.safetensors"), adapter.resolve("adapter_model.safetensors"));
    Files.writeString(adapter.resolve("adapter_config.json"), "{" + config + "}");

    assertThat(peft4j("merge", "--model", dev.peft4j.runtime.testing.Fixtures.path("llama-tiny").toString(), "--adapter", adapter.toString(),
        "--out", dir.resolve("merged").toString())).isEqualTo(1);

    assertThat(err.toString()).contains(adapter.resolve("adapter_config.json").toString(), message);
    assertThat(dir.resolve("merged")).doesNotExist();
  }

  @Test
  void failure7_deeplyNestedListsAreAnErrorWithoutAStackTrace() throws IOException {
    Path run = dir.resolve("nested.conf");
    Files.writeString(run, "methods = [lora]\nx = " + "[".repeat(20_000) + "]".repeat(20_000) + "\n");

    assertThat(peft4j("validate", run.toString())).isEqualTo(1);

    assertThat(err.toString()).contains("nested too deeply").doesNotContain("StackOverflowError", "\tat ", "internal error");
  }

  @Test
  void failure7_aNulOrALoneSurrogateInAPathIsAnErrorNotAnInternalError() {
    Path run = runs.runFile("methods = [lora]");

    assertThat(peft4j("validate", run.toString(), "--set", "output.dir=\"out\\u0000put\"", "--set",
        "data.train=\"train\\ud800.jsonl\"")).isEqualTo(1);

    assertThat(err.toString()).contains("peft4j.output.dir (--set output.dir=", "is not a valid path", "out\\u0000put",
        "peft4j.data.train (--set data.train=", "train\\ud800.jsonl").doesNotContain("internal error", "InvalidPathException");
  }

  @Test
  void anOptionalSubstitutionOfAnUnsetVariableIsNoInternalError() throws IOException {
    // Found by the run-file fuzz test: the unknown-key check looked at the unresolved ${?...} and threw.
    Path run = runs.runFile("methods = [lora]", "data { cutoff-len = ${?PEFT4J_SURELY_UNSET}, colour = ${?PEFT4J_SURELY_UNSET} }");

    assertThat(peft4j("validate", run.toString())).isZero();

    assertThat(err.toString()).doesNotContain("internal error");
  }
}
