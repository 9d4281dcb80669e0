package dev.peft4j.api.rules;

import static dev.peft4j.api.rules.Condition.chosen;
import static dev.peft4j.api.rules.Condition.setting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peft4j.api.rules.Condition.Op;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RuleTest {

  private static final Rule LORA_WITH_GALORE =
      Rule.error("not-with-galore", "LoRA cannot be combined with GaLore", chosen("lora"), chosen("galore"));

  @Test
  void refusesARuleWithNoCondition() {
    assertThatThrownBy(() -> Rule.error("always", "always broken"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'always'")
        .hasMessageContaining("no condition");
    assertThatThrownBy(() -> new Rule("never", Severity.WARNING, "m", List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusesMissingParts() {
    assertThatThrownBy(() -> new Rule(null, Severity.ERROR, "m", List.of(chosen("a"))))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new Rule("r", null, "m", List.of(chosen("a")))).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new Rule("r", Severity.ERROR, null, List.of(chosen("a"))))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new Rule("r", Severity.ERROR, "m", null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void errorAndWarningSetTheSeverity() {
    assertThat(LORA_WITH_GALORE.severity()).isEqualTo(Severity.ERROR);
    assertThat(Rule.warning("w", "m", chosen("a")).severity()).isEqualTo(Severity.WARNING);
  }

  @Test
  void describesItsConditionsJoinedWithAnd() {
    Rule rule = Rule.error("layerwise", "m", chosen("galore"), setting("galore.layerwise", Op.EQUALS, true),
        setting("training.gradient-accumulation-steps", Op.GREATER_THAN, 1));

    assertThat(rule.describeConditions())
        .isEqualTo("galore is chosen and galore.layerwise == true and training.gradient-accumulation-steps > 1");
  }

  @Test
  void keepsAnImmutableCopyOfItsConditions() {
    List<Condition> when = new ArrayList<>(List.of(chosen("a")));
    Rule rule = new Rule("r", Severity.ERROR, "m", when);
    when.add(chosen("b"));

    assertThat(rule.when()).containsExactly(chosen("a"));
    assertThatThrownBy(() -> rule.when().add(chosen("c"))).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void violationNamesTheMethodsTheMessageAndTheRuleWithItsConditionsWhenThereIsNoEvidence() {
    Violation violation = new Violation("lora", LORA_WITH_GALORE, List.of("lora", "galore"), List.of());

    assertThat(violation.severity()).isEqualTo(Severity.ERROR);
    assertThat(violation.toString())
        .startsWith("[lora, galore] LoRA cannot be combined with GaLore")
        .contains("because: lora is chosen and galore is chosen")
        .endsWith("[rule lora/not-with-galore]");
  }

  @Test
  void violationPrefersTheEvidenceToTheConditions() {
    Violation violation = new Violation("lora", LORA_WITH_GALORE, List.of(),
        List.of("lora chosen at run.conf:2", "galore chosen at run.conf:2"));

    assertThat(violation.toString())
        .startsWith("LoRA cannot be combined with GaLore")
        .contains("because: lora chosen at run.conf:2; galore chosen at run.conf:2")
        .doesNotContain("lora is chosen");
  }
}
