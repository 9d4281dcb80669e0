package dev.peft4j.api.rules;

import static dev.peft4j.api.rules.Condition.chosen;
import static dev.peft4j.api.rules.Condition.isSet;
import static dev.peft4j.api.rules.Condition.notChosen;
import static dev.peft4j.api.rules.Condition.setting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peft4j.api.MethodCapability;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.rules.Condition.CapabilityCount;
import dev.peft4j.api.rules.Condition.Fact;
import dev.peft4j.api.rules.Condition.KindCount;
import dev.peft4j.api.rules.Condition.Op;
import dev.peft4j.api.rules.Condition.RuntimeFact;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConditionTest {

  @Test
  void describesChosenAndNotChosenMethods() {
    assertThat(chosen("lora").describe()).isEqualTo("lora is chosen");
    assertThat(notChosen("full").describe()).isEqualTo("full is not chosen");
  }

  @Test
  void describesSettingComparisonsWithTheirSymbol() {
    assertThat(setting("galore.layerwise", Op.EQUALS, true).describe()).isEqualTo("galore.layerwise == true");
    assertThat(setting("model.quantization", Op.NOT_EQUALS, "none").describe()).isEqualTo("model.quantization != none");
    assertThat(setting("training.devices", Op.GREATER_THAN, 1).describe()).isEqualTo("training.devices > 1");
    assertThat(setting("training.devices", Op.LESS_THAN, 2).describe()).isEqualTo("training.devices < 2");
    assertThat(setting("lora.init", Op.MATCHES, "pissa.*").describe()).isEqualTo("lora.init matches pissa.*");
    assertThat(isSet("lora.loraplus-lr-ratio").describe()).isEqualTo("lora.loraplus-lr-ratio is set");
  }

  @Test
  void describesKindCountsAsARangeOfMethods() {
    assertThat(new KindCount(Set.of(MethodKind.SELECTOR), 1, Integer.MAX_VALUE).describe())
        .isEqualTo("1 or more chosen method(s) of kind selector");
    assertThat(new KindCount(Set.of(MethodKind.SELECTOR, MethodKind.ADAPTER), 0, 1).describe())
        .isEqualTo("0 to 1 chosen method(s) of kind adapter or selector");
    assertThat(new KindCount(Set.of(MethodKind.OPTIMIZER_HOOK), 2, 2).describe())
        .isEqualTo("2 chosen method(s) of kind optimizer-hook");
  }

  @Test
  void describesCapabilityCounts() {
    assertThat(new CapabilityCount(MethodCapability.REPLACES_OPTIMIZER, 2, Integer.MAX_VALUE).describe())
        .isEqualTo("2 or more chosen method(s) that replaces-optimizer");
  }

  @Test
  void describesRuntimeFactsAndTheirNegation() {
    assertThat(new Fact(RuntimeFact.DEVICE_SUPPORTS_BF16, true).describe()).isEqualTo("the device computes in bf16");
    assertThat(new Fact(RuntimeFact.DEVICE_SUPPORTS_BF16, false).describe())
        .isEqualTo("not: the device computes in bf16");
    assertThat(new Fact(RuntimeFact.MODEL_LAYER_COUNT_KNOWN, false).describe())
        .startsWith("not: the model's layer count is known")
        .contains("num_hidden_layers");
  }

  @Test
  void kindCountNeedsKindsAndAValidRange() {
    assertThatThrownBy(() -> new KindCount(Set.of(), 0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new KindCount(Set.of(MethodKind.ADAPTER), -1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new KindCount(Set.of(MethodKind.ADAPTER), 2, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0 <= min <= max");
  }

  @Test
  void capabilityCountNeedsAValidRange() {
    assertThatThrownBy(() -> new CapabilityCount(MethodCapability.MERGES, 3, 2))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CapabilityCount(null, 0, 1)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void aComparisonNeedsAValueButIsSetDoesNot() {
    assertThatThrownBy(() -> setting("lora.rank", Op.EQUALS, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("value");
    assertThat(isSet("lora.rank").value()).isNull();
    assertThat(isSet("lora.rank").op()).isEqualTo(Op.IS_SET);
  }

  @Test
  void methodConditionsNeedAMethod() {
    assertThatThrownBy(() -> chosen(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> notChosen(null)).isInstanceOf(NullPointerException.class);
  }
}
