package dev.peft4j.runtime.model.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonParser;
import dev.peft4j.runtime.model.ModelConfigException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Mistral's {@code sliding_window} as config.json gives it. */
class LlamaConfigTest {

  private static LlamaConfig parse(String modelType, String extra) {
    return LlamaConfig.parse(JsonParser.parseString("""
        {"model_type": "%s", "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 40%s}
        """.formatted(modelType, extra)).getAsJsonObject(), Path.of("config.json"));
  }

  /** A corrupt layer count the fuzzer found: shaping a million layers for the planner ran out of heap. */
  @Test
  void aLayerCountAboveAnyModelsIsRefused() {
    String json = """
        {"model_type": "qwen2", "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1000000.0,
         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 40}
        """;
    assertThatThrownBy(() -> LlamaConfig.parse(JsonParser.parseString(json).getAsJsonObject(), Path.of("config.json")))
        .hasMessageContaining("num_hidden_layers is 1000000, more than the 1024 peft4j reads");
    assertThat(parse("llama", "").numLayers()).isEqualTo(2);
  }

  @Test
  void mistralsSlidingWindowIsRead() {
    assertThat(parse("mistral", ", \"sliding_window\": 4096").slidingWindow()).isEqualTo(4096);
  }

  @Test
  void aNullOrAbsentWindowIsNone() {
    assertThat(parse("mistral", ", \"sliding_window\": null").slidingWindow()).isZero();
    assertThat(parse("mistral", "").slidingWindow()).isZero();
  }

  /** Qwen2 writes sliding_window with use_sliding_window false (what its published models say); Llama has none. */
  @Test
  void otherModelTypesHaveNoWindow() {
    assertThat(parse("qwen2", ", \"sliding_window\": 4, \"use_sliding_window\": false").slidingWindow()).isZero();
    assertThat(parse("llama", ", \"sliding_window\": 4").slidingWindow()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-3"})
  void aWindowBelowOneIsRefused(String window) {
    assertThatThrownBy(() -> parse("mistral", ", \"sliding_window\": " + window))
        .isInstanceOf(ModelConfigException.class)
        .hasMessageContaining("config.json: sliding_window must be a positive integer or null, got " + window);
  }

  @Test
  void aFractionalWindowIsRefused() {
    assertThatThrownBy(() -> parse("mistral", ", \"sliding_window\": 2.5"))
        .isInstanceOf(ModelConfigException.class)
        .hasMessageContaining("sliding_window must be an integer, got 2.5");
  }
}
