package dev.peft4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ApiVersionTest {

  @Test
  void currentVersionIsOfTheFormMajorMinorAndCompatibleWithItself() {
    assertThat(ApiVersion.CURRENT).matches("\\d+\\.\\d+");
    assertThat(ApiVersion.isCompatible(ApiVersion.CURRENT, ApiVersion.CURRENT)).isTrue();
  }

  @ParameterizedTest(name = "plugin {0} runs on host {1}")
  @CsvSource({"1.0, 1.0", "1.0, 1.3", "1.2, 1.3", "1.3, 1.3", "2.0, 2.10", "1.9, 1.10"})
  void acceptsSameMajorWithOlderOrEqualMinor(String plugin, String host) {
    assertThat(ApiVersion.isCompatible(plugin, host)).isTrue();
  }

  @ParameterizedTest(name = "plugin {0} refused on host {1}")
  @CsvSource({"1.1, 1.0", "1.10, 1.9", "2.0, 1.0", "1.0, 2.0", "0.9, 1.0", "2.0, 1.9"})
  void refusesNewerMinorOrOtherMajor(String plugin, String host) {
    assertThat(ApiVersion.isCompatible(plugin, host)).isFalse();
  }

  @ParameterizedTest(name = "\"{0}\" is malformed")
  @ValueSource(strings = {"", "1", "1.0.0", "one.zero", "1.x", "1.", ".1", "v1.0", "1 .0"})
  void malformedPluginVersionIsRejectedNamingTheVersion(String bad) {
    assertThatThrownBy(() -> ApiVersion.isCompatible(bad, "1.0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + bad + "'")
        .hasMessageContaining("major.minor");
  }

  @Test
  void malformedHostVersionIsRejectedNamingTheVersion() {
    assertThatThrownBy(() -> ApiVersion.isCompatible("1.0", "1.0-SNAPSHOT"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'1.0-SNAPSHOT'");
  }

  @Test
  void nullVersionIsRejected() {
    assertThatThrownBy(() -> ApiVersion.isCompatible(null, "1.0"))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("version is null");
  }

  @ParameterizedTest(name = "\"{0}\" is malformed")
  @ValueSource(strings = {"-1.0", "1.-2", "+1.0", "+1.+0"})
  void signedNumbersAreNotVersions(String bad) {
    assertThatThrownBy(() -> ApiVersion.isCompatible(bad, bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + bad + "'");
  }
}
