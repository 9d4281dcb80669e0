package dev.peft4j.runtime.plan;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.peft4j.api.model.LinearView;
import dev.peft4j.api.plan.LinearShape;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelConfig;
import dev.peft4j.runtime.model.ModelFamilies;
import dev.peft4j.runtime.model.ModelFiles;
import dev.peft4j.runtime.model.ModuleModelView;
import dev.peft4j.runtime.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The shapes made from config.json alone are the parameters and linear layers of the model the runtime builds. */
class ModelShapesTest {

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  /** llama-tiny (GQA), qwen2-tiny (q/k/v biases, tied embeddings), llama3-tiny (rope scaling, sharded BF16). */
  @ParameterizedTest
  @ValueSource(strings = {Fixtures.LLAMA, Fixtures.QWEN2, Fixtures.QWEN3, Fixtures.PHI3, Fixtures.GEMMA2, Fixtures.LLAMA3})
  void shapesAreTheLoadedModelsInItsOrder(String fixture) {
    ModelConfig config = ModelFamilies.BUILT_IN.read(Fixtures.path(fixture));
    CausalLm model = ModelFiles.load(Fixtures.path(fixture), manager);
    ModelShape shape = ModelFamilies.BUILT_IN.of(config).shape(config, false, 4);

    List<String> loaded = new ArrayList<>();
    model.namedParameters().forEach((name, p) -> loaded.add(name + " " + p.data().getShape()));
    assertThat(shape.parameters().stream().map(p -> p.name() + " " + new ai.djl.ndarray.types.Shape(
        p.shape().stream().mapToLong(Long::longValue).toArray())).toList()).isEqualTo(loaded);
    assertThat(shape.parameters()).allMatch(p -> !p.trainable());

    ModuleModelView view = new ModuleModelView(model);
    List<String> linears = new ArrayList<>();
    for (LinearView linear : view.linearLayers()) {
      linears.add(linear.name() + " " + linear.inFeatures() + "→" + linear.outFeatures() + " bias " + linear.bias().isPresent()
          + " layer " + linear.layerIndex());
    }
    List<String> planned = new ArrayList<>();
    for (LinearShape linear : shape.linearLayers()) {
      planned.add(linear.name() + " " + linear.inFeatures() + "→" + linear.outFeatures() + " bias " + linear.hasBias()
          + " layer " + linear.layerIndex());
    }
    assertThat(planned).isEqualTo(linears);
    assertThat(shape.info()).isEqualTo(view.info());
    view.parameters().forEach(p -> assertThat(shape.parameter(p.name()).orElseThrow().layerIndex()).isEqualTo(p.layerIndex()));
  }
}
