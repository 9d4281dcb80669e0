package dev.peft4j.method.freeze;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.config.SettingsReader;
import org.junit.jupiter.api.Test;

class FullMethodFactoryTest {

  private final FullMethodFactory factory = new FullMethodFactory();

  @Test
  void describesFullAsASelectorWithoutRules() {
    MethodDescriptor d = factory.descriptor();

    assertThat(d.id()).isEqualTo("full").isEqualTo(FullMethodFactory.ID);
    assertThat(d.configPath()).isEqualTo("peft4j.full");
    assertThat(d.kinds()).containsExactly(MethodKind.SELECTOR);
    assertThat(d.capabilities()).isEmpty();
    assertThat(d.rules()).isEmpty();
  }

  @Test
  void hasNoSettingsToReadOrGetWrong() {
    SettingsReader reader = new SettingsReader(ConfigFactory.defaultReference(), "peft4j.full");

    assertThat(factory.readSettings(reader)).isEqualTo(new FullMethodFactory.Settings());
    assertThat(reader.problems()).isEmpty();
  }

  @Test
  void everyParameterTrains() {
    dev.peft4j.api.model.ModelView model = FakeLlama.withLayers(2);

    assertThat(((dev.peft4j.api.ParameterSelector) factory.create(new FullMethodFactory.Settings(), null)).trainable(model))
        .hasSize(model.parameters().size()).contains("model.embed_tokens.weight", "lm_head.weight");
  }

}
