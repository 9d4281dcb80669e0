package dev.peft4j.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.testing.Runs;
import dev.peft4j.runtime.validate.ValidationReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSettingsTest {

  @TempDir
  Path dir;

  private Runs runs;

  @BeforeEach
  void setUp() {
    runs = new Runs(dir);
  }

  @Test
  void dataFilesThatDoNotExistAreProblemsNamingTheKeyWhereItWasSetAndThePath() {
    ValidationReport report = runs.validate("methods = [lora]", "data.train = data/train.jsonl", "data.eval = data/eval.jsonl");

    assertThat(report.problems()).hasSize(2);
    assertThat(report.problems().get(0)).satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.data.train");
      assertThat(p.origin()).endsWith("run.conf:3");
      assertThat(p.message()).contains("file " + dir.resolve("data/train.jsonl") + " does not exist")
          .contains("relative to the file's folder");
    });
    assertThat(report.problems().get(1).path()).isEqualTo("peft4j.data.eval");
    assertThat(report.problems().get(1).origin()).endsWith("run.conf:4");
  }

  @Test
  void dataFilesThatExistAreFineAndAFolderIsNot() throws Exception {
    Files.createDirectories(dir.resolve("data"));
    Files.writeString(dir.resolve("data/train.jsonl"), "{\"instruction\": \"q\", \"output\": \"a\"}\n");

    assertThat(runs.validate("methods = [lora]", "data.train = data/train.jsonl").problems()).isEmpty();
    assertThat(runs.validate("methods = [lora]", "data.eval = data").problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("is a folder: expected a JSON-lines file"));
  }

  @Test
  void packingAndSkipBadLinesDefaultToOffAndCanBeSet() {
    CoreSettings.Data defaults = runs.validate("methods = [lora]").core().data();
    assertThat(defaults.packing()).isFalse();
    assertThat(defaults.skipBadLines()).isFalse();

    ValidationReport set = runs.validate(runs.runFile("methods = [lora]", "data { packing = true, skip-bad-lines = true, "
        + "format = sharegpt, cutoff-len = 64 }"), List.of());
    assertThat(set.problems()).isEmpty();
    assertThat(DataOptions.of(set.core().data())).isEqualTo(new DataOptions(CoreSettings.DataFormat.SHAREGPT, 64, true, true));
  }

  @Test
  void fieldNamesAreReadAndTheirMistakesAreProblemsAtTheirLine() {
    CoreSettings.Columns columns = runs.validate("methods = [lora]", "data.columns { prompt = question, system = null }",
        "data.tags.user = me").core().data().columns();
    assertThat(columns.prompt()).isEqualTo("question");
    assertThat(columns.system()).isEmpty();
    assertThat(columns.history()).contains("history");
    assertThat(columns.tags().user()).isEqualTo("me");
    assertThat(runs.validate("methods = [lora]", "data.columns.promt = question").problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("did you mean 'prompt'"));
    assertThat(runs.validate("methods = [lora]", "data.tags.user = gpt").problems()).singleElement()
        .satisfies(p -> {
          assertThat(p.path()).isEqualTo("peft4j.data.tags");
          assertThat(p.message()).contains("names two roles alike");
        });
    assertThat(runs.validate("methods = [lora]", "data.columns.response = \"\"").problems()).singleElement()
        .satisfies(p -> {
          assertThat(p.path()).isEqualTo("peft4j.data.columns.response");
          assertThat(p.origin()).endsWith("run.conf:3");
        });
  }

  @Test
  void aWrongTypeForPackingIsAProblem() {
    assertThat(runs.validate("methods = [lora]", "data.packing = sometimes").problems()).singleElement()
        .satisfies(p -> {
          assertThat(p.path()).isEqualTo("peft4j.data.packing");
          assertThat(p.message()).contains("expected true or false");
        });
  }
}
