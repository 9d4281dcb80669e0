package dev.peft4j.method.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.peft4j.api.UnsupportedFeatureException;
import dev.peft4j.api.config.SettingsReader;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The adapter_config.json LoRA writes, and the settings {@code settingsOfAdapter} reads back from one. */
class PeftConfigTest {

  private final LoraMethodFactory factory = new LoraMethodFactory();

  /** Reads peft4j.lora from {@code user} laid over the module's reference.conf; there must be no problem. */
  private LoraSettings read(Config user) {
    SettingsReader reader = new SettingsReader(user.withFallback(ConfigFactory.defaultReference()).resolve(),
        "peft4j.lora");
    LoraSettings settings = factory.readSettings(reader);
    assertThat(reader.problems()).as("problems").isEmpty();
    return settings;
  }

  /** Target names as PEFT writes them: sorted (their order means nothing). */
  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "rank = 4, alpha = 16, target = [down_proj, k_proj, q_proj], use-dora = true, bias = lora_only, "
          + "layers-to-transform = [1]",
      "target = \".*\\\\.(k|o)_proj\", use-rslora = true, rank-pattern { o_proj = 3 }, "
          + "alpha-pattern { k_proj = 2.5 }, exclude-modules = [model.layers.0.self_attn.o_proj], init = pissa",
      "init = gaussian, bias = all"})
  void theSettingsReadFromAnAdapterConfigAreThoseThatWroteIt(String block) {
    LoraSettings written = read(ConfigFactory.parseString("peft4j.lora { " + block + " }"));
    Map<String, Object> config = PeftConfig.of(written, List.of("model.layers.0.self_attn.q_proj"));

    Map<String, Object> settings = factory.settingsOfAdapter(config).orElseThrow();

    Config user = ConfigFactory.empty();
    for (Map.Entry<String, Object> entry : settings.entrySet()) {
      user = user.withValue("peft4j.lora." + entry.getKey(), ConfigValueFactory.fromAnyRef(entry.getValue()));
    }
    assertThat(read(user)).usingRecursiveComparison()
        .withComparatorForType(Comparator.comparing(Pattern::pattern), Pattern.class).isEqualTo(written);
  }

  @Test
  void aPeftConfigOfAnotherTypeIsNotLoras() {
    assertThat(factory.settingsOfAdapter(Map.of("peft_type", "IA3", "target_modules", List.of("k_proj")))).isEmpty();
    assertThat(factory.settingsOfAdapter(Map.of("r", 8.0))).as("no peft_type").isEmpty();
  }

  @Test
  void nullsAndEmptyPatternsInPeftsConfigKeepTheDefaults() {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("peft_type", "LORA");
    config.put("r", 4.0);
    config.put("exclude_modules", null);
    config.put("layers_to_transform", null);
    config.put("rank_pattern", Map.of());
    config.put("init_lora_weights", true);

    assertThat(factory.settingsOfAdapter(config)).contains(Map.of("rank", 4.0, "init", "default"));
  }

  @Test
  void aRandomizedPissaAdapterIsRefusedSayingWhatToDo() {
    assertThatThrownBy(() -> factory.settingsOfAdapter(Map.of("peft_type", "LORA", "init_lora_weights",
        "pissa_niter_4")))
        .isInstanceOf(UnsupportedFeatureException.class)
        .hasMessageContaining("init_lora_weights pissa_niter_4 cannot be reloaded exactly")
        .hasMessageContaining("pissa_converted").hasMessageContaining("train with lora.init = pissa");
  }
}
