package dev.peft4j.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peft4j.runtime.run.RunFolder;
import dev.peft4j.runtime.testing.Runs;
import dev.peft4j.runtime.train.RunIdentity;
import dev.peft4j.runtime.validate.ValidationReport;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code model.double-quantization}: off by default, with a 4-bit base only, part of a run's identity. */
class DoubleQuantizationSettingsTest {

  @TempDir
  Path dir;

  private Runs runs;

  @BeforeEach
  void setUp() {
    runs = new Runs(dir);
  }

  @Test
  void isOffByDefaultAsTransformersBitsAndBytesConfigAndOnWhenSetWithAFourBitBase() {
    ValidationReport defaults = runs.validate("methods = [lora]", "model.quantization = nf4");
    assertThat(defaults.problems()).isEmpty();
    assertThat(defaults.core().model().doubleQuantization()).isFalse();

    ValidationReport set = runs.validate("methods = [lora]", "model { quantization = nf4, double-quantization = true }");
    assertThat(set.problems()).isEmpty();
    assertThat(set.core().model().doubleQuantization()).isTrue();
  }

  @Test
  void withoutAFourBitBaseItIsAProblemNamingTheKeyTheLineAndWhatToDo() {
    assertThat(runs.validate("methods = [lora]", "model.double-quantization = true").problems()).singleElement()
        .satisfies(p -> {
          assertThat(p.path()).isEqualTo("peft4j.model.double-quantization");
          assertThat(p.origin()).endsWith("run.conf:3");
          assertThat(p.message()).contains("model.quantization = none", "set model.quantization = nf4",
              "remove model.double-quantization");
        });
    // false says nothing the default does not
    assertThat(runs.validate("methods = [lora]", "model.double-quantization = false").problems()).isEmpty();
  }

  @Test
  void aWrongTypeIsAProblemAndABadQuantizationIsReportedOnce() {
    assertThat(runs.validate("methods = [lora]", "model.double-quantization = sometimes").problems()).singleElement()
        .satisfies(p -> {
          assertThat(p.path()).isEqualTo("peft4j.model.double-quantization");
          assertThat(p.message()).contains("expected true or false");
        });
    assertThat(runs.validate("methods = [lora]", "model { quantization = nf5, double-quantization = true }").problems())
        .singleElement().satisfies(p -> assertThat(p.path()).isEqualTo("peft4j.model.quantization"));
  }

  @Test
  void aResumedRunMustHaveTheSameScales() {
    RunIdentity single = RunFolder.identity(runs.validate("methods = [lora]", "model.quantization = nf4"),
        Runs.discovery());
    RunIdentity nested = RunFolder.identity(runs.validate("methods = [lora]",
        "model { quantization = nf4, double-quantization = true }"), Runs.discovery());

    assertThat(nested.settings()).containsEntry("model.double-quantization", "true");
    assertThat(nested.differences(single)).singleElement().satisfies(d -> {
      assertThat(d.key()).isEqualTo("model.double-quantization");
      assertThat(d.checkpoint()).isEqualTo("false");
      assertThat(d.now()).isEqualTo("true");
    });
  }
}
