package dev.peft4j.api;

import static dev.peft4j.api.rules.Condition.chosen;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peft4j.api.rules.Rule;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MethodDescriptorTest {

  private static MethodDescriptor withId(String id) {
    return new MethodDescriptor(id, Set.of(MethodKind.ADAPTER), "1", "a method", Set.of(), List.of());
  }

  @ParameterizedTest
  @ValueSource(strings = {"lora", "galore", "lora-plus", "x2", "q4-lora-v2"})
  void acceptsLowerCaseKebabIds(String id) {
    assertThat(withId(id).id()).isEqualTo(id);
  }

  @ParameterizedTest(name = "rejects \"{0}\"")
  @ValueSource(strings = {"LoRA", "lo_ra", "-x", "", "x-", "a--b", "2lora", "lo ra", "lora.plus"})
  void rejectsIdsThatAreNotLowerCaseKebab(String id) {
    assertThatThrownBy(() -> withId(id))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + id + "'")
        .hasMessageContaining("lower-case kebab");
  }

  @Test
  void rejectsANullId() {
    assertThatThrownBy(() -> withId(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("id");
  }

  @Test
  void rejectsAMethodWithoutKinds() {
    assertThatThrownBy(() -> new MethodDescriptor("lora", Set.of(), "1", "d", Set.of(), List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'lora'")
        .hasMessageContaining("no kind");
  }

  @Test
  void configPathIsTheIdUnderPeft4j() {
    assertThat(withId("lora").configPath()).isEqualTo("peft4j.lora");
    assertThat(withId("lora-plus").configPath()).isEqualTo("peft4j.lora-plus");
  }

  @Test
  void answersWhichKindsAndCapabilitiesItHas() {
    MethodDescriptor descriptor = new MethodDescriptor("lora", Set.of(MethodKind.ADAPTER, MethodKind.OPTIMIZER_HOOK),
        "1", "d", Set.of(MethodCapability.MERGES), List.of());

    assertThat(descriptor.is(MethodKind.ADAPTER)).isTrue();
    assertThat(descriptor.is(MethodKind.OPTIMIZER_HOOK)).isTrue();
    assertThat(descriptor.is(MethodKind.SELECTOR)).isFalse();
    assertThat(descriptor.has(MethodCapability.MERGES)).isTrue();
    assertThat(descriptor.has(MethodCapability.REPLACES_OPTIMIZER)).isFalse();
  }

  @Test
  void keepsItsOwnCopiesOfKindsCapabilitiesAndRules() {
    Set<MethodKind> kinds = EnumSet.of(MethodKind.ADAPTER);
    List<Rule> rules = new ArrayList<>(List.of(Rule.error("r", "m", chosen("x"))));
    MethodDescriptor descriptor = new MethodDescriptor("lora", kinds, "1", "d", Set.of(), rules);

    kinds.add(MethodKind.SELECTOR);
    rules.clear();

    assertThat(descriptor.kinds()).containsExactly(MethodKind.ADAPTER);
    assertThat(descriptor.rules()).hasSize(1);
    assertThatThrownBy(() -> descriptor.rules().clear()).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void versionOfClassesOutsideAJarIsDev() {
    assertThat(MethodDescriptor.versionOf(MethodDescriptorTest.class)).isEqualTo("dev");
  }

  @Test
  void kindAndCapabilityDisplayNamesAreLowerCaseKebab() {
    assertThat(MethodKind.OPTIMIZER_HOOK.displayName()).isEqualTo("optimizer-hook");
    assertThat(MethodCapability.REPLACES_OPTIMIZER.displayName()).isEqualTo("replaces-optimizer");
  }
}
