package dev.peft4j.runtime.model.llama;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFilesTest {

  @TempDir
  Path dir;

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  @Test
  void aSavedModelLoadsBackWithTheSameLogitsAndNothingElseIsLeftBehind() throws IOException {
    LlamaForCausalLM model = TinyLlamas.random(manager, TinyLlamas.config("qwen2", true), 9);
    Path folder = dir.resolve("saved");

    ModelFiles.save(model, folder, null);
    ModelFiles.save(model, folder, null);
    CausalLm loaded = ModelFiles.load(folder, manager);

    var ids = manager.create(new long[] {1, 2, 3, 4, 5}, new Shape(1, 5));
    assertThat(loaded.forward(ids, null).toFloatArray()).containsExactly(model.forward(ids, null).toFloatArray());
    assertThat(loaded.config().tieWordEmbeddings()).isTrue();
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("saved");
    }
    try (Stream<Path> files = Files.list(folder)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("config.json", "model.safetensors");
    }
  }
}
