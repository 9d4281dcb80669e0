package dev.peft4j.api.config;

import static dev.peft4j.api.rules.Condition.chosen;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peft4j.api.Peft4jException;
import dev.peft4j.api.rules.Rule;
import dev.peft4j.api.rules.Violation;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigurationExceptionTest {

  private static final SettingProblem RANK = new SettingProblem("peft4j.lora.rank", "run.conf:3", "must be at least 1, got 0");
  private static final Violation GALORE = new Violation("lora",
      Rule.error("not-with-galore", "LoRA cannot be combined with GaLore", chosen("lora"), chosen("galore")),
      List.of("lora", "galore"), List.of());

  @Test
  void saysOneProblemInTheSingular() {
    ConfigurationException e = new ConfigurationException(List.of(RANK));

    assertThat(e).isInstanceOf(Peft4jException.class);
    assertThat(e.getMessage()).isEqualTo("the run cannot start: 1 problem in the settings:"
        + System.lineSeparator() + "  1. peft4j.lora.rank (run.conf:3): must be at least 1, got 0");
  }

  @Test
  void numbersProblemsThenBrokenRules() {
    SettingProblem alpha = new SettingProblem("peft4j.lora.alpha", "run.conf:4", "must be positive, got -1.0");

    ConfigurationException e = new ConfigurationException(List.of(RANK, alpha), List.of(GALORE));

    assertThat(e.getMessage())
        .startsWith("the run cannot start: 2 problems in the settings and 1 broken rule between methods:")
        .contains("  1. peft4j.lora.rank (run.conf:3)")
        .contains("  2. peft4j.lora.alpha (run.conf:4)")
        .contains("  3. [lora, galore] LoRA cannot be combined with GaLore");
    assertThat(e.problems()).containsExactly(RANK, alpha);
    assertThat(e.violations()).containsExactly(GALORE);
  }

  @Test
  void onlyBrokenRulesAreCountedAsRules() {
    ConfigurationException e = new ConfigurationException(List.of(), List.of(GALORE, GALORE));

    assertThat(e.getMessage()).startsWith("the run cannot start: 2 broken rules between methods:");
  }

  @Test
  void needsAtLeastOneProblemOrViolation() {
    assertThatThrownBy(() -> new ConfigurationException(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one");
  }

  @Test
  void aSettingProblemNeedsPathOriginAndMessage() {
    assertThatThrownBy(() -> new SettingProblem(null, "o", "m")).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new SettingProblem("p", null, "m")).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new SettingProblem("p", "o", null)).isInstanceOf(NullPointerException.class);
  }
}
