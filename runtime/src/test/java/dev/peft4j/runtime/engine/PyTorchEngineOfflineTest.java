package dev.peft4j.runtime.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/** DJL's PyTorch engine starts offline from the CPU natives on the classpath, computes, and differentiates. */
class PyTorchEngineOfflineTest {

  @Test
  void theEngineRunsOfflineAndComputesGradients() {
    assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");
    Engine engine = Engine.getEngine("PyTorch");
    assertThat(engine.getVersion()).startsWith("2.7.1");

    try (NDManager manager = engine.newBaseManager()) {
      NDArray w = manager.create(new float[] {1, 2, 3, 4}, new ai.djl.ndarray.types.Shape(2, 2));
      NDArray x = manager.create(new float[] {1, -1}, new ai.djl.ndarray.types.Shape(2, 1));
      w.setRequiresGradient(true);
      try (GradientCollector collector = engine.newGradientCollector()) {
        NDArray loss = w.matMul(x).square().sum();
        collector.backward(loss);
      }
      // loss = (w11 - w12)^2 + (w21 - w22)^2 -> d/dw = 2 (w·x) xᵀ = [[-2, 2], [-2, 2]]
      assertThat(w.getGradient().toFloatArray()).containsExactly(-2f, 2f, -2f, 2f);
    }
  }
}
