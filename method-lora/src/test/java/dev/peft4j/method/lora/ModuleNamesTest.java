package dev.peft4j.method.lora;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ModuleNamesTest {

  @Test
  void matchesTheFullNameOrADottedSuffix() {
    assertThat(ModuleNames.matches("model.layers.0.self_attn.q_proj", "q_proj")).isTrue();
    assertThat(ModuleNames.matches("model.layers.0.self_attn.q_proj", "self_attn.q_proj")).isTrue();
    assertThat(ModuleNames.matches("lm_head", "lm_head")).isTrue();
  }

  @Test
  void doesNotMatchPartOfAName() {
    assertThat(ModuleNames.matches("model.layers.0.self_attn.q_proj", "proj")).isFalse();
    assertThat(ModuleNames.matches("model.layers.0.self_attn.q_proj", "attn.q_proj")).isFalse();
    assertThat(ModuleNames.matches("model.layers.0.self_attn.q_proj", "self_attn")).isFalse();
  }
}
