package dev.peft4j.runtime.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** Scalars that autograd keeps for the backward pass must outlive the garbage collector (see {@link Tensors}). */
class TensorsTest {

  /** Multiplies by 3 under autograd, collects garbage and reuses freed native memory, then differentiates. */
  static float[] gradientAfterCollection(BiFunction<NDManager, NDArray, NDArray> timesThree) {
    Engine engine = Engine.getEngine("PyTorch");
    try (NDManager manager = engine.newBaseManager()) {
      NDArray x = Tensors.of(manager, new float[] {1, 2, 3, 4}, new Shape(4));
      x.setRequiresGradient(true);
      try (GradientCollector collector = engine.newGradientCollector()) {
        NDArray y = timesThree.apply(manager, x).sum();
        List<ByteBuffer> reuse = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
          System.gc();
          for (int i = 0; i < 200; i++) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(4);
            buffer.putFloat(0, 1e30f);
            reuse.add(buffer);
          }
        }
        collector.backward(y);
      }
      return x.getGradient().toFloatArray();
    }
  }

  @Test
  void aScalarMadeByTensorsSurvivesUntilTheBackwardPass() {
    float[] gradient = gradientAfterCollection((manager, x) -> x.mul(Tensors.scalar(manager, 3f)));

    assertThat(gradient).containsExactly(3f, 3f, 3f, 3f);
  }
}
