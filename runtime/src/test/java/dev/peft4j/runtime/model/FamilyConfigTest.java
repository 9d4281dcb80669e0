package dev.peft4j.runtime.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonParser;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What each family reads from a config.json beyond Llama's: transformers' defaults where a key is absent, and a
 * refusal naming the file and the key for what peft4j does not build (rather than running it as another model).
 */
class FamilyConfigTest {

  private static ModelConfig parse(String modelType, String extra) {
    return ModelFamilies.BUILT_IN.readFile(write(modelType, extra));
  }

  private static Path write(String modelType, String extra) {
    try {
      Path file = java.nio.file.Files.createTempFile("config", ".json");
      file.toFile().deleteOnExit();
      java.nio.file.Files.writeString(file, JsonParser.parseString("""
          {"model_type": "%s", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
           "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 40%s}
          """.formatted(modelType, extra)).toString());
      return file;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void qwen3sHeadSizeDefaultsTo128AsQwen3ConfigDoes() {
    assertThat(parse("qwen3", "").headDim()).isEqualTo(128);
    assertThat(parse("qwen2", "").headDim()).isEqualTo(8);
    assertThat(parse("qwen3", ", \"head_dim\": 16").headDim()).isEqualTo(16);
  }

  @Test
  void gemma2TakesGemma2ConfigsDefaults() {
    var config = (dev.peft4j.runtime.model.gemma2.Gemma2Config) parse("gemma2", "");
    assertThat(config.tieWordEmbeddings()).isTrue();
    assertThat(config.headDim()).isEqualTo(256);
    assertThat(config.attentionSoftcap()).isEqualTo(50.0);
    assertThat(config.finalSoftcap()).isEqualTo(30.0);
    assertThat(config.slidingWindow()).isEqualTo(4096);
    assertThat(config.slidingLayers()).containsExactly(true, false);
    var uncapped = (dev.peft4j.runtime.model.gemma2.Gemma2Config) parse("gemma2",
        ", \"attn_logit_softcapping\": null, \"final_logit_softcapping\": null, \"tie_word_embeddings\": false");
    assertThat(uncapped.attentionSoftcap()).isZero();
    assertThat(uncapped.finalSoftcap()).isZero();
    assertThat(uncapped.tieWordEmbeddings()).isFalse();
  }

  @ParameterizedTest(name = "{0} with {1}")
  @CsvSource(delimiter = ';', value = {
      "qwen3; , \"use_sliding_window\": true; use_sliding_window true is not supported for qwen3",
      "qwen2; , \"use_sliding_window\": true; use_sliding_window true is not supported for qwen2",
      "phi3; , \"rope_scaling\": {\"type\": \"longrope\"}; not the 128k models' longrope",
      "phi3; , \"partial_rotary_factor\": 0.75; partial_rotary_factor 0.75 is not supported",
      "phi3; , \"hidden_act\": \"gelu\"; hidden_act \"gelu\" is not supported",
      "phi3; , \"sliding_window\": 0; sliding_window must be a positive integer or null",
      "gemma2; , \"hidden_activation\": \"gelu\"; hidden_activation \"gelu\" is not supported",
      "gemma2; , \"layer_types\": [\"full_attention\"]; layer_types names 1 layers, but num_hidden_layers is 2",
      "gemma2; , \"layer_types\": [\"full_attention\", \"local\"]; layer_types[1] must be",
      "gemma2; , \"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 8.0}; rope_scaling",
      "gemma2; , \"attn_logit_softcapping\": -1; attn_logit_softcapping must be a positive finite number"})
  void whatAFamilyDoesNotBuildIsRefusedByName(String modelType, String extra, String message) {
    Path file = write(modelType, extra);
    assertThatThrownBy(() -> ModelFamilies.BUILT_IN.readFile(file)).isInstanceOf(ModelConfigException.class)
        .hasMessageContaining(file.toString()).hasMessageContaining(message);
  }
}
