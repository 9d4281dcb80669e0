package dev.peft4j.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peft4j.api.config.ConfigurationException;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.runtime.testing.Runs;
import dev.peft4j.runtime.validate.ValidationReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunConfigTest {

  @TempDir
  Path dir;

  private Runs runs;

  @BeforeEach
  void setUp() {
    runs = new Runs(dir);
  }

  @Test
  void aValidRunHasNoProblems() {
    ValidationReport report = runs.validate("methods = [lora]", "lora.rank = 16");

    assertThat(report.problems()).isEmpty();
    assertThat(report.valid()).isTrue();
    assertThat(report.settings()).containsOnlyKeys("lora");
    assertThat(report.model()).hasValueSatisfying(m -> assertThat(m.layerCount()).hasValue(2));
  }

  @Test
  void aMisspeltKeyNamesTheFileTheLineAndTheKeyMeant() {
    ValidationReport report = runs.validate("methods = [lora]", "lora.rnak = 8");

    assertThat(report.problems()).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.lora.rnak");
      assertThat(p.origin()).endsWith("run.conf:3");
      assertThat(p.message()).contains("did you mean 'rank'?");
    });
  }

  @Test
  void keysInsideAPeft4jBlockAreCheckedToo() throws Exception {
    Path file = dir.resolve("wrapped.conf");
    Files.writeString(file, "peft4j {\n  model.path = models/tiny\n  methods = [galore, full]\n  galore {\n    rnak = 4\n  }\n}\n");

    ValidationReport report = runs.validate(file, List.of());

    assertThat(report.problems()).singleElement().satisfies(p -> {
      assertThat(p.origin()).endsWith("wrapped.conf:5");
      assertThat(p.message()).contains("did you mean 'rank'?");
    });
  }

  @Test
  void aKeyOutsideThePeft4jBlockIsAnError() throws Exception {
    Path file = dir.resolve("outside.conf");
    Files.writeString(file, "peft4j { model.path = models/tiny, methods = [full] }\ntraining.epochs = 3\n");

    assertThat(runs.validate(file, List.of()).problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("outside the peft4j block"));
  }

  @Test
  void aKeyOfAnotherBlockSaysWhereItBelongs() {
    ValidationReport report = runs.validate("methods = [lora]", "lora.update-interval = 100");

    assertThat(report.problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("is a setting of peft4j.galore"));
  }

  @Test
  void anUnknownMethodSuggestsTheClosestOne() {
    ValidationReport report = runs.validate("methods = [lroa]");

    assertThat(report.problems()).singleElement().satisfies(p -> {
      assertThat(p.origin()).endsWith("run.conf:2");
      assertThat(p.message()).contains("unknown method 'lroa'", "did you mean 'lora'?", "galore");
    });
  }

  @Test
  void noMethodIsAnError() {
    assertThat(runs.validate().problems()).extracting(SettingProblem::path).containsExactly("peft4j.methods");
  }

  @Test
  void aWrongTypeNamesTheKeyTheExpectedTypeAndTheOrigin() {
    ValidationReport report = runs.validate("methods = [lora]", "lora.rank = eight", "training.epochs = [1]");

    assertThat(report.problems()).hasSize(2);
    assertThat(report.problems().get(0).toString())
        .contains("peft4j.lora.rank", "run.conf:3", "expected an integer", "\"eight\"");
    assertThat(report.problems().get(1).toString())
        .contains("peft4j.training.epochs", "run.conf:4", "expected an integer", "a list");
  }

  @Test
  void everyProblemIsReportedAtOnceAndNumbered() {
    ValidationReport report = runs.validate("methods = [lora]", "lora.rnak = 8", "lora.dropout = 2", "training.batch-size = 0");

    assertThatThrownBy(report::orThrow).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("3 problems")
        .hasMessageContaining("1. peft4j.lora.rnak")
        .hasMessageContaining("2. ")
        .hasMessageContaining("3. ");
  }

  @Test
  void userChosenMapsAcceptAnyKeyButEmptyMethodBlocksDoNot() {
    ValidationReport report = runs.validate("methods = [lora]", "lora.rank-pattern { \"q_proj\" = 16, \"layers\\\\.0\\\\..*\" = 4 }",
        "full.scale = 2");

    assertThat(report.problems()).extracting(SettingProblem::path).containsExactly("peft4j.full.scale");
  }

  @Test
  void overridesWinInOrderSetOverPropertyOverFile() {
    Path file = runs.runFile("methods = [lora]", "lora.rank = 4", "lora.alpha = 4", "lora.dropout = 0.1");
    Properties properties = new Properties();
    properties.setProperty("peft4j.lora.alpha", "32");
    properties.setProperty("peft4j.lora.dropout", "0.2");
    properties.setProperty("unrelated.key", "ignored");

    RunConfig run = RunConfigLoader.load(Optional.of(file), List.of("lora.rank=16", "peft4j.lora.dropout=0.3"),
        properties, Runs.discovery().reference());

    assertThat(run.merged().getInt("peft4j.lora.rank")).isEqualTo(16);
    assertThat(run.merged().getInt("peft4j.lora.alpha")).isEqualTo(32);
    assertThat(run.merged().getDouble("peft4j.lora.dropout")).isEqualTo(0.3);
  }

  @Test
  void anOverrideWithoutEqualsIsAnError() {
    assertThatThrownBy(() -> RunConfigLoader.load(Optional.empty(), List.of("lora.rank"), new Properties(),
        Runs.discovery().reference()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("key=value");
  }

  @Test
  void aSyntaxErrorNamesTheLine() throws Exception {
    Path file = dir.resolve("broken.conf");
    Files.writeString(file, "methods = [lora]\nlora {\n  rank = 8\n");

    assertThatThrownBy(() -> runs.validate(file, List.of()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("broken.conf:")
        .hasMessageContaining("not valid HOCON");
  }

  @Test
  void aMissingRunFileIsAClearError() {
    assertThatThrownBy(() -> runs.validate(dir.resolve("nope.conf"), List.of()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("nope.conf")
        .hasMessageContaining("does not exist");
  }

  @Test
  void relativePathsInARunFileAreRelativeToItsFolder() {
    Path sub = dir.resolve("sub");
    runs.model("sub/models/tiny", 2);
    Path file = sub.resolve("run.conf");
    try {
      Files.writeString(file, "model.path = models/tiny\nmethods = [full]\n");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }

    ValidationReport report = runs.validate(file, List.of());

    assertThat(report.problems()).isEmpty();
    assertThat(report.core().model().path()).hasValue(sub.resolve("models/tiny").toAbsolutePath().normalize());
  }

  @Test
  void aMissingModelFolderIsReportedWithItsOrigin() {
    ValidationReport report = runs.validate("methods = [full]", "model.path = elsewhere");

    assertThat(report.problems()).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.model.path");
      assertThat(p.origin()).endsWith("run.conf:3");
      assertThat(p.message()).contains("elsewhere", "does not exist");
    });
  }

  @Test
  void anUnsupportedModelTypeIsReported() throws Exception {
    Files.writeString(dir.resolve("models/tiny/config.json"), "{\"model_type\": \"gpt2\", \"num_hidden_layers\": 2}");

    assertThat(runs.validate("methods = [full]").problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("gpt2", "llama", "qwen2"));
  }
}
