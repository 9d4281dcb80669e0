package dev.peft4j.method.galore;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.method.galore.GaloreSettings.ProjectionType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GaloreSettingsTest {

  private SettingsReader reader;

  /** Reads peft4j.galore from a user configuration laid over the module's reference.conf. */
  private GaloreSettings read(String userConf) {
    Config config = ConfigFactory.parseString(userConf).withFallback(ConfigFactory.defaultReference()).resolve();
    reader = new SettingsReader(config, "peft4j.galore");
    return new GaloreMethodFactory().readSettings(reader);
  }

  private SettingProblem onlyProblem() {
    assertThat(reader.problems()).hasSize(1);
    return reader.problems().get(0);
  }

  @Test
  void defaultsAreThoseOfLlamaFactory() {
    GaloreSettings s = read("");

    assertThat(reader.problems()).isEmpty();
    assertThat(s.rank()).isEqualTo(16);
    assertThat(s.updateInterval()).isEqualTo(200);
    assertThat(s.scale()).isEqualTo(2.0);
    assertThat(s.projType()).isEqualTo(ProjectionType.STD);
    assertThat(s.target()).containsExactly(GaloreSettings.ALL).containsExactly("all");
    assertThat(s.layerwise()).isFalse();
    assertThat(s.svd()).isEqualTo(GaloreSettings.SvdKind.RANDOMIZED);
  }

  @Test
  void readsTheSvdChoice() {
    assertThat(read("peft4j.galore.svd = exact").svd()).isEqualTo(GaloreSettings.SvdKind.EXACT);
    read("peft4j.galore.svd = lanczos");
    assertThat(onlyProblem().message()).isEqualTo("must be one of randomized, exact, got \"lanczos\"");
  }

  @ParameterizedTest(name = "proj-type {0}")
  @CsvSource({"reverse_std, REVERSE_STD", "reverse-std, REVERSE_STD", "right, RIGHT", "left, LEFT", "full, FULL"})
  void acceptsEveryProjectionTypeOfGaloreTorch(String written, ProjectionType expected) {
    assertThat(read("peft4j.galore.proj-type = " + written).projType()).isEqualTo(expected);
    assertThat(reader.problems()).isEmpty();
  }

  @Test
  void rejectsAnUnknownProjectionTypeListingTheChoices() {
    read("peft4j.galore.proj-type = diagonal");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.galore.proj-type");
    assertThat(onlyProblem().message()).isEqualTo("must be one of std, reverse-std, right, left, full, got \"diagonal\"");
  }

  @Test
  void rejectsRankZero() {
    assertThat(read("peft4j.galore.rank = 0").rank()).isEqualTo(1);

    assertThat(onlyProblem().path()).isEqualTo("peft4j.galore.rank");
    assertThat(onlyProblem().message()).isEqualTo("must be at least 1, got 0");
  }

  @Test
  void rejectsUpdateIntervalZero() {
    read("peft4j.galore.update-interval = 0");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.galore.update-interval");
  }

  @Test
  void rejectsAScaleThatIsNotPositive() {
    read("peft4j.galore.scale = 0");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.galore.scale");
    assertThat(onlyProblem().message()).contains("positive");
  }

  @Test
  void rejectsAnEmptyTarget() {
    read("peft4j.galore.target = []");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.galore.target");
    assertThat(onlyProblem().message()).startsWith("is empty");
  }

  @Test
  void readsUserValues() {
    GaloreSettings s = read("peft4j.galore { target = mlp, rank = 128, update-interval = 50, scale = 0.25, layerwise = true }");

    assertThat(reader.problems()).isEmpty();
    assertThat(s).isEqualTo(new GaloreSettings(java.util.List.of("mlp"), 128, 50, 0.25, ProjectionType.STD, true,
        GaloreSettings.SvdKind.RANDOMIZED));
  }

  @Test
  void reportsEveryBadValueAtOnce() {
    read("peft4j.galore { rank = 0, update-interval = -1, scale = -2, proj-type = up, layerwise = maybe }");

    assertThat(reader.problems()).extracting(SettingProblem::path).containsExactlyInAnyOrder(
        "peft4j.galore.rank", "peft4j.galore.update-interval", "peft4j.galore.scale", "peft4j.galore.proj-type",
        "peft4j.galore.layerwise");
  }
}
