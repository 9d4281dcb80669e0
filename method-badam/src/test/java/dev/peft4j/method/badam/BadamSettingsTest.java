package dev.peft4j.method.badam;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.method.badam.BadamSettings.MaskMode;
import dev.peft4j.method.badam.BadamSettings.Mode;
import dev.peft4j.method.badam.BadamSettings.SwitchMode;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BadamSettingsTest {

  private SettingsReader reader;

  /** Reads peft4j.badam from a user configuration laid over the module's reference.conf. */
  private BadamSettings read(String userConf) {
    Config config = ConfigFactory.parseString(userConf).withFallback(ConfigFactory.defaultReference()).resolve();
    reader = new SettingsReader(config, "peft4j.badam");
    return new BadamMethodFactory().readSettings(reader);
  }

  private SettingProblem onlyProblem() {
    assertThat(reader.problems()).hasSize(1);
    return reader.problems().get(0);
  }

  @Test
  void defaultsAreThoseOfLlamaFactory() {
    BadamSettings s = read("");

    assertThat(reader.problems()).isEmpty();
    assertThat(s.mode()).isEqualTo(Mode.LAYER);
    assertThat(s.switchMode()).isEqualTo(SwitchMode.ASCENDING);
    assertThat(s.switchInterval()).isEqualTo(50);
    assertThat(s.updateRatio()).isEqualTo(0.05);
    assertThat(s.maskMode()).isEqualTo(MaskMode.ADJACENT);
    assertThat(s.verbose()).isZero();
    assertThat(s.startBlock()).isEmpty();
    assertThat(s.includeEmbedding()).isFalse();
    assertThat(s.includeLmHead()).isFalse();
  }

  @Test
  void readsUserValues() {
    BadamSettings s = read("""
        peft4j.badam {
          mode = ratio, start-block = 3, switch-mode = random, switch-interval = 100, update-ratio = 1
          mask-mode = scatter, verbose = 2, include-embedding = true, include-lm-head = true
        }
        """);

    assertThat(reader.problems()).isEmpty();
    assertThat(s).isEqualTo(new BadamSettings(Mode.RATIO, OptionalInt.of(3), SwitchMode.RANDOM, 100, 1.0,
        MaskMode.SCATTER, 2, true, true));
  }

  @Test
  void rejectsSwitchIntervalZero() {
    read("peft4j.badam.switch-interval = 0");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.badam.switch-interval");
    assertThat(onlyProblem().message()).contains("-1 to never switch").contains("got 0");
  }

  @Test
  void acceptsSwitchIntervalMinusOneForNeverSwitching() {
    assertThat(read("peft4j.badam.switch-interval = -1").switchInterval()).isEqualTo(-1);
    assertThat(reader.problems()).isEmpty();
  }

  @Test
  void rejectsOtherNegativeSwitchIntervals() {
    read("peft4j.badam.switch-interval = -2");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.badam.switch-interval");
  }

  @ParameterizedTest(name = "update-ratio {0}")
  @ValueSource(strings = {"0", "1.5", "-0.1"})
  void rejectsUpdateRatiosOutsideZeroExclusiveToOne(String ratio) {
    read("peft4j.badam.update-ratio = " + ratio);

    assertThat(onlyProblem().path()).isEqualTo("peft4j.badam.update-ratio");
    assertThat(onlyProblem().message()).startsWith("must be in (0, 1]");
  }

  @Test
  void rejectsVerboseThree() {
    read("peft4j.badam.verbose = 3");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.badam.verbose");
    assertThat(onlyProblem().message()).isEqualTo("must be 0, 1 or 2, got 3");
  }

  @Test
  void rejectsANegativeStartBlock() {
    read("peft4j.badam.start-block = -1");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.badam.start-block");
    assertThat(onlyProblem().message()).contains("at least 0");
  }

  @Test
  void rejectsUnknownModesListingTheChoices() {
    read("peft4j.badam { mode = blocks, switch-mode = shuffled, mask-mode = random }");

    assertThat(reader.problems()).extracting(SettingProblem::message).containsExactly(
        "must be one of layer, ratio, got \"blocks\"",
        "must be one of ascending, descending, random, fixed, got \"shuffled\"",
        "must be one of adjacent, scatter, got \"random\"");
  }

  @Test
  void reportsAWronglyTypedValueOnce() {
    read("peft4j.badam { switch-interval = often, update-ratio = half }");

    assertThat(reader.problems()).extracting(SettingProblem::path)
        .containsExactly("peft4j.badam.switch-interval", "peft4j.badam.update-ratio");
  }
}
