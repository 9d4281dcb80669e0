package dev.peft4j.method.freeze;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.api.config.SettingsReader;
import java.util.List;
import org.junit.jupiter.api.Test;

class FreezeSettingsTest {

  private SettingsReader reader;

  private static Config config(String userConf) {
    return ConfigFactory.parseString(userConf).withFallback(ConfigFactory.defaultReference()).resolve();
  }

  /** Reads peft4j.freeze from a user configuration laid over the module's reference.conf. */
  private FreezeSettings read(String userConf) {
    reader = new SettingsReader(config(userConf), "peft4j.freeze");
    return new FreezeMethodFactory().readSettings(reader);
  }

  private SettingProblem onlyProblem() {
    assertThat(reader.problems()).hasSize(1);
    return reader.problems().get(0);
  }

  @Test
  void defaultsAreThoseOfLlamaFactory() {
    FreezeSettings s = read("");

    assertThat(reader.problems()).isEmpty();
    assertThat(s.trainableLayers()).isEqualTo(2);
    assertThat(s.trainableModules()).containsExactly(FreezeSettings.ALL).containsExactly("all");
    assertThat(s.extraModules()).isEmpty();
  }

  @Test
  void readsUserValues() {
    FreezeSettings s = read("peft4j.freeze { trainable-layers = -4, trainable-modules = mlp, extra-modules = [lm_head] }");

    assertThat(reader.problems()).isEmpty();
    assertThat(s).isEqualTo(new FreezeSettings(-4, List.of("mlp"), List.of("lm_head")));
  }

  @Test
  void rejectsZeroTrainableLayers() {
    read("peft4j.freeze.trainable-layers = 0");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.freeze.trainable-layers");
    assertThat(onlyProblem().message()).startsWith("0 trains no layer");
  }

  @Test
  void reportsZeroTrainableLayersEvenWhenAnotherBlockSharingTheReaderHasProblems() {
    SettingsReader other = new SettingsReader(config("peft4j.freeze.trainable-layers = 0\nsome.rank = x"), "some");
    other.integer("rank");
    reader = other.block("peft4j.freeze");

    new FreezeMethodFactory().readSettings(reader);

    assertThat(reader.problems()).extracting(SettingProblem::path)
        .containsExactly("some.rank", "peft4j.freeze.trainable-layers");
  }

  @Test
  void aWronglyTypedTrainableLayersIsReportedOnce() {
    read("peft4j.freeze.trainable-layers = two");

    assertThat(onlyProblem().message()).startsWith("expected an integer");
  }

  @Test
  void rejectsEmptyTrainableModules() {
    read("peft4j.freeze.trainable-modules = []");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.freeze.trainable-modules");
    assertThat(onlyProblem().message()).startsWith("is empty");
  }

  @Test
  void aWronglyTypedTrainableModulesIsReportedOnce() {
    read("peft4j.freeze.trainable-modules = 5");

    assertThat(onlyProblem().message()).startsWith("expected a list of strings");
  }
}
