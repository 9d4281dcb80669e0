package dev.peft4j.runtime.model.llama;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelFiles;
import dev.peft4j.runtime.model.ModuleModelView;
import dev.peft4j.runtime.nn.Module;
import dev.peft4j.runtime.nn.Nf4Linear;
import dev.peft4j.runtime.nn.Precision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

  @Test
  void aFourBitBaseIsQuantizedLayerByLayerAsItIsReadAndEqualsQuantizingAfterLoading() {
    LlamaForCausalLM model = TinyLlamas.random(manager, TinyLlamas.config("llama", false), 11);
    Path folder = dir.resolve("saved");
    ModelFiles.save(model, folder, null);
    List<String> seen = new ArrayList<>();

    CausalLm whileReading = ModelFiles.load(folder, manager, Precision.FP32, layer -> {
      // the layer arrives whole and full-precision, and leaves stored as NF4
      seen.add(linearTypes(layer));
      Nf4Linear.quantizeLinears(layer, manager, false);
      seen.add(linearTypes(layer));
    });
    CausalLm afterLoading = ModelFiles.load(folder, manager);
    new ModuleModelView(afterLoading).quantizeNf4(manager);

    int layers = model.config().numLayers();
    assertThat(seen).hasSize(2 * layers);
    for (int i = 0; i < layers; i++) {
      assertThat(seen.get(2 * i)).doesNotContain("Nf4Linear").contains("Linear");
      assertThat(seen.get(2 * i + 1)).doesNotContain(" Linear").contains("Nf4Linear");
    }
    var ids = manager.create(new long[] {1, 2, 3, 4, 5}, new Shape(1, 5));
    assertThat(whileReading.forward(ids, null).toFloatArray())
        .containsExactly(afterLoading.forward(ids, null).toFloatArray());
  }

  /** The simple class names of the linear layers below {@code layer}, each after a space. */
  private static String linearTypes(Module layer) {
    StringBuilder types = new StringBuilder();
    layer.namedModules().values().stream().filter(m -> m instanceof LinearLayer)
        .forEach(m -> types.append(' ').append(m.getClass().getSimpleName()));
    return types.toString();
  }
}
