package dev.peft4j.runtime.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peft4j.api.config.ConfigurationException;
import dev.peft4j.api.rules.Violation;
import dev.peft4j.runtime.testing.Runs;
import dev.peft4j.runtime.validate.ValidationReport;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every rule of ARCHITECTURE.md ("Rules between methods"), broken and kept. */
class RulesBetweenMethodsTest {

  @TempDir
  Path dir;

  private Runs runs;

  @BeforeEach
  void setUp() {
    runs = new Runs(dir);
  }

  private static Arguments run(String name, boolean deviceBf16, List<String> lines, List<String> errors, List<String> warnings) {
    return Arguments.of(name, deviceBf16, lines, errors, warnings);
  }

  static Stream<Arguments> runs() {
    List<String> none = List.of();
    String noBf16 = "badam/no-bf16-on-device";
    return Stream.of(
        // 1. LoRA not with GaLore or BAdam
        run("1: lora + galore refused", false, List.of("methods = [lora, galore]"), List.of("lora/not-with-galore"), none),
        run("1: lora + badam refused", false, List.of("methods = [lora, badam]"),
            List.of("lora/not-with-badam", "badam/needs-full"), List.of(noBf16)),
        run("1: lora alone accepted", false, List.of("methods = [lora]"), none, none),
        // 2. two optimizer-replacing methods
        run("2: galore + badam refused", false, List.of("methods = [full, galore, badam]"), List.of("core/one-optimizer"),
            List.of(noBf16)),
        run("2: full + galore accepted", false, List.of("methods = [full, galore]"), none, none),
        run("2: full + badam accepted", false, List.of("methods = [full, badam]"), none, List.of(noBf16)),
        // 3. layer-wise GaLore without gradient accumulation
        run("3: layer-wise galore + accumulation refused", false,
            List.of("methods = [full, galore]", "galore.layerwise = true", "training.gradient-accumulation-steps = 4",
                "training.max-grad-norm = 0"),
            List.of("galore/layerwise-without-accumulation"), none),
        run("3: layer-wise galore without accumulation accepted", false,
            List.of("methods = [full, galore]", "galore.layerwise = true", "training.gradient-accumulation-steps = 1",
                "training.max-grad-norm = 0"), none, none),
        run("3: galore with accumulation accepted", false,
            List.of("methods = [full, galore]", "training.gradient-accumulation-steps = 4"), none, none),
        run("3: layer-wise galore on two devices refused", false,
            List.of("methods = [full, galore]", "galore.layerwise = true", "training.devices = 2", "training.max-grad-norm = 0"),
            List.of("galore/layerwise-single-device"), none),
        run("3: layer-wise galore on one device accepted", false,
            List.of("methods = [full, galore]", "galore.layerwise = true", "training.devices = 1", "training.max-grad-norm = 0"),
            none, none),
        run("3: layer-wise galore with clipping warned (the norm cannot be clipped)", false,
            List.of("methods = [full, galore]", "galore.layerwise = true", "training.max-grad-norm = 1.0"),
            none, List.of("galore/layerwise-no-clipping")),
        run("3: galore with clipping, not layer-wise, not warned", false,
            List.of("methods = [full, galore]", "training.max-grad-norm = 1.0"), none, none),
        // 4. BAdam needs full; pure bf16 where the device has it, a warning where it does not
        run("4: badam alone refused", false, List.of("methods = [badam]"),
            List.of("core/something-trains", "badam/needs-full"), List.of(noBf16)),
        run("4: freeze + badam refused", false, List.of("methods = [freeze, badam]"), List.of("badam/needs-full"), List.of(noBf16)),
        run("4: badam in fp32 on a bf16 device refused", true, List.of("methods = [full, badam]"),
            List.of("badam/pure-bf16-where-supported"), none),
        run("4: badam in bf16 on a bf16 device accepted", true,
            List.of("methods = [full, badam]", "training.precision = bf16"), none, none),
        run("4: badam with precision auto on a bf16 device accepted", true,
            List.of("methods = [full, badam]", "training.precision = auto"), none, none),
        run("4: badam in bf16 on a device without native bf16 warned as slow", false,
            List.of("methods = [full, badam]", "training.precision = bf16"), none,
            List.of("core/bf16-without-native-support")),
        // 5. BAdam's ratio mode is single-device
        run("5: badam ratio on two devices refused", false,
            List.of("methods = [full, badam]", "badam.mode = ratio", "training.devices = 2"),
            List.of("badam/ratio-single-device"), List.of(noBf16)),
        run("5: badam layer mode on two devices accepted", false,
            List.of("methods = [full, badam]", "badam.mode = layer", "training.devices = 2"), none, List.of(noBf16)),
        run("5: badam ratio on one device accepted", false,
            List.of("methods = [full, badam]", "badam.mode = ratio"), none, List.of(noBf16)),
        // 6. LoRA options without LoRA
        run("6: loraplus without lora refused", false, List.of("methods = [full]", "lora.loraplus-lr-ratio = 16"),
            List.of("lora/loraplus-needs-lora"), none),
        run("6: rslora without lora refused", false, List.of("methods = [freeze]", "lora.use-rslora = true"),
            List.of("lora/rslora-needs-lora"), none),
        run("6: dora without lora refused", false, List.of("methods = [full, galore]", "lora.use-dora = true"),
            List.of("lora/dora-needs-lora"), none),
        run("6: pissa without lora refused", false, List.of("methods = [full]", "lora.init = pissa_niter_4"),
            List.of("lora/pissa-needs-lora"), none),
        run("6: all lora options with lora accepted", false, List.of("methods = [lora]", "lora.loraplus-lr-ratio = 16",
            "lora.use-rslora = true", "lora.use-dora = true", "lora.init = pissa"), none, none),
        run("6: pissa-convert without a pissa init refused", false,
            List.of("methods = [lora]", "lora.pissa-convert = true"), List.of("lora/pissa-convert-needs-pissa"), none),
        run("6: pissa-convert with dora refused", false, List.of("methods = [lora]", "lora.init = pissa_niter_4",
            "lora.pissa-convert = true", "lora.use-dora = true"), List.of("lora/pissa-convert-not-with-dora"), none),
        run("6: pissa-convert with pissa accepted", false, List.of("methods = [lora]", "lora.init = pissa_niter_4",
            "lora.pissa-convert = true"), none, none),
        // 7. quantized base only with LoRA, PiSSA not on it, an existing adapter only with LoRA
        run("7: quantized base with full refused", false, List.of("methods = [full]", "model.quantization = nf4"),
            List.of("core/quantized-base-needs-adapter"), none),
        run("7: quantized base with lora accepted", false, List.of("methods = [lora]", "model.quantization = nf4"), none, none),
        run("7: pissa on a quantized base refused", false,
            List.of("methods = [lora]", "model.quantization = nf4", "lora.init = pissa"),
            List.of("lora/pissa-not-on-quantized-base"), none),
        run("7: adapter with freeze refused", false, List.of("methods = [freeze]", "model.adapter-path = adapters/a"),
            List.of("core/adapter-path-needs-adapter"), none),
        run("7: adapter with lora accepted", false, List.of("methods = [lora]", "model.adapter-path = adapters/a"), none, none),
        // 8. freeze needs the layer count (unknown names: see freezeListsTheModulesThatExist)
        run("8: freeze without a layer count refused", false,
            List.of("methods = [freeze]", "model.path = models/no-layers"), List.of("freeze/needs-layer-count"), none),
        run("8: freeze with a layer count accepted", false, List.of("methods = [freeze]"), none, none),
        // 9. adapters and selectors
        run("9: lora + freeze refused", false, List.of("methods = [lora, freeze]"), List.of("lora/not-with-selector"), none),
        run("9: lora + full refused", false, List.of("methods = [lora, full]"), List.of("lora/not-with-selector"), none),
        run("9: full + freeze refused", false, List.of("methods = [full, freeze]"), List.of("core/one-selector"), none),
        run("9: galore alone refused", false, List.of("methods = [galore]"), List.of("core/something-trains"), none),
        run("9: freeze + galore accepted", false, List.of("methods = [freeze, galore]"), none, none),
        // precision bf16 without native support works, slowly, and says so
        run("bf16 on a device without native bf16 warned", false, List.of("methods = [lora]", "training.precision = bf16"),
            none, List.of("core/bf16-without-native-support")),
        run("bf16 on a bf16 device accepted", true, List.of("methods = [lora]", "training.precision = bf16"), none, none),
        // settings of a method that is not chosen
        run("settings of an unchosen method warned", false, List.of("methods = [full]", "galore.rank = 8"),
            none, List.of("core/settings-of-unchosen-method")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("runs")
  void checksTheRule(String name, boolean deviceBf16, List<String> lines, List<String> errors, List<String> warnings) {
    runs.model("models/no-layers", -1);

    ValidationReport report = runs.deviceBf16(deviceBf16).validate(lines.toArray(String[]::new));

    if (lines.contains("model.path = models/no-layers")) {
      // validate reads config.json as plan and train do, so the missing count is a problem of its own too.
      assertThat(report.problems()).as("setting problems").singleElement()
          .satisfies(p -> assertThat(p.message()).contains("num_hidden_layers is missing"));
    } else {
      assertThat(report.problems()).as("setting problems").isEmpty();
    }
    assertThat(report.errors()).extracting(RulesBetweenMethodsTest::id).containsExactlyInAnyOrderElementsOf(errors);
    assertThat(report.warnings()).extracting(RulesBetweenMethodsTest::id).containsExactlyInAnyOrderElementsOf(warnings);
    assertThat(report.valid()).isEqualTo(errors.isEmpty());
  }

  @Test
  void aViolationNamesTheMethodsAndTheLineWhereEachWasChosen() {
    ValidationReport report = runs.validate("methods = [", "  lora", "  galore", "]");

    assertThat(report.errors()).singleElement().satisfies(v -> {
      assertThat(v.methods()).containsExactly("lora", "galore");
      assertThat(v.evidence()).anySatisfy(e -> assertThat(e).startsWith("lora chosen at").endsWith("run.conf:3"));
      assertThat(v.evidence()).anySatisfy(e -> assertThat(e).startsWith("galore chosen at").endsWith("run.conf:4"));
    });
  }

  @Test
  void aViolatedSettingNamesItsValueAndOrigin() {
    ValidationReport report = runs.validate("methods = [full, galore]", "galore.layerwise = true",
        "training.gradient-accumulation-steps = 8");

    assertThat(report.errors()).singleElement().satisfies(v -> assertThat(v.evidence())
        .contains("galore.layerwise = true at " + dir.resolve("run.conf") + ":3",
            "training.gradient-accumulation-steps = 8 at " + dir.resolve("run.conf") + ":4"));
  }

  @Test
  void everyBrokenRuleIsReportedAtOnceNumbered() {
    ValidationReport report = runs.validate("methods = [lora, galore, badam]", "lora.rnak = 4");

    assertThatThrownBy(report::orThrow)
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("1 problem in the settings and 4 broken rules")
        .hasMessageContaining("1. peft4j.lora.rnak")
        .hasMessageContaining("2. ").hasMessageContaining("3. ").hasMessageContaining("4. ").hasMessageContaining("5. ")
        .hasMessageContaining("[rule core/one-optimizer]")
        .hasMessageContaining("[rule lora/not-with-galore]")
        .hasMessageContaining("[rule lora/not-with-badam]")
        .hasMessageContaining("[rule badam/needs-full]");
  }

  @Test
  void freezeListsTheModulesThatExist() {
    ValidationReport report = runs.validate("methods = [freeze]", "freeze.trainable-modules = [mlp, attn]");

    assertThat(report.problems()).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.freeze.trainable-modules");
      assertThat(p.origin()).endsWith("run.conf:3");
      assertThat(p.message()).contains("\"attn\"", "self_attn", "mlp", "input_layernorm");
    });
  }

  private static String id(Violation v) {
    return v.declaredBy() + "/" + v.rule().name();
  }
}
