package dev.peft4j.runtime.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.runtime.testing.Runs;
import dev.peft4j.runtime.validate.ValidationReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** config.json is read strictly, and against the weights, by validate as by plan and train (failure 5). */
class ModelCheckTest {

  @TempDir
  Path dir;

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "\"hidden_size\": 64, | \"hidden_size\": 0, | sizes must be positive",
      "\"num_attention_heads\": 4, | \"num_attention_heads\": 0, | num_attention_heads",
      "\"num_key_value_heads\": 2, | \"num_key_value_heads\": 3, | not a multiple of num_key_value_heads 3",
      "\"vocab_size\": 512, | \"vocab_size\": -5, | vocab_size -5",
      "\"vocab_size\": 512, | \"vocab_size\": 512, \"hidden_act\": \"gelu\", | hidden_act \"gelu\" is not supported",
      "\"vocab_size\": 512, | \"vocab_size\": 512, \"hidden_act\": \"nonsense\", | hidden_act \"nonsense\" is not supported",
      "\"vocab_size\": 512, | \"vocab_size\": 512, \"max_position_embeddings\": 0, | max_position_embeddings 0",
      "\"vocab_size\": 512, | \"vocab_size\": 512, \"rope_theta\": -1, | rope_theta"})
  void failure5_validateRefusesABrokenConfigJsonAsPlanDoes(String from, String to, String message) throws IOException {
    Runs runs = new Runs(dir);
    Path config = dir.resolve("models/tiny/config.json");
    String text = Files.readString(config);
    assertThat(text).contains(from);
    Files.writeString(config, text.replace(from, to));

    ValidationReport report = runs.validate("methods = [lora]");

    assertThat(report.problems()).extracting(SettingProblem::message).anySatisfy(m -> assertThat(m)
        .contains(config.toString(), message));
  }

  @Test
  void failure5_layersOfWeightsThatConfigJsonDoesNotCountAreNamed() throws IOException {
    Path folder = dir.resolve("four-layers");
    try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
      CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 3);
      ModelFiles.save(model, folder, null);
    }
    Path config = folder.resolve("config.json");
    Files.writeString(config, Files.readString(config).replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1"));

    assertThatThrownBy(() -> ModelCheck.check(folder)).isInstanceOf(ModelConfigException.class)
        .hasMessageContaining("num_hidden_layers 1")
        .hasMessageContaining("tensors would be left unused: model.layers.1.")
        .hasMessageContaining("Correct config.json");
    try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
      assertThatThrownBy(() -> ModelFiles.load(folder, manager)).isInstanceOf(ModelConfigException.class)
          .hasMessageContaining("left unused");
    }

    Files.writeString(config, Files.readString(config).replace("\"num_hidden_layers\": 1", "\"num_hidden_layers\": 3"));
    assertThatThrownBy(() -> ModelCheck.check(folder)).isInstanceOf(ModelConfigException.class)
        .hasMessageContaining("tensors config.json needs are missing: model.layers.2.");
  }
}
