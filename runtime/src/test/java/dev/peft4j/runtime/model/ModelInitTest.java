package dev.peft4j.runtime.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peft4j.runtime.io.safetensors.SafetensorsFile;
import dev.peft4j.runtime.testing.Fixtures;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelInitTest {

  @TempDir
  Path dir;

  /** Transformers initialises RMSNorm weights to 1, and Gemma's, which scale by 1 + w, to 0: the identity either way. */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"llama3-tiny, 1", "gemma2-tiny, 0"})
  void aRandomModelsNormsStartAtTheFamilysIdentity(String fixture, float identity) {
    Path folder = dir.resolve("model");
    ModelInit.write(folder, Optional.empty(), Optional.of(Fixtures.path(fixture).resolve("config.json")), 7);

    try (SafetensorsFile weights = SafetensorsFile.open(folder.resolve("model.safetensors"))) {
      assertThat(weights.tensors().keySet()).anyMatch(name -> name.endsWith("norm.weight"));
      for (String name : weights.tensors().keySet()) {
        if (name.endsWith("norm.weight")) {
          assertThat(weights.readFloats(name)).as(name).containsOnly(identity);
        }
      }
    }
  }
}
