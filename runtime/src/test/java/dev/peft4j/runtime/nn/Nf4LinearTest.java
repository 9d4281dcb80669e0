package dev.peft4j.runtime.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class Nf4LinearTest {

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  private Nf4Linear quantized(float[] weight, int out, int in) {
    return Nf4Linear.quantize(new Linear(Tensors.of(manager, weight, new Shape(out, in)), null, Precision.FP32), manager);
  }

  @Test
  void levelsTimesTheBlockMaximumComeBackExactly() {
    float[] weight = new float[64];
    for (int i = 0; i < 64; i++) {
      weight[i] = 0.5f * Nf4Linear.LEVELS[i % 16];
    }

    assertThat(quantized(weight, 1, 64).dequantize().toFloatArray()).containsExactly(weight);
  }

  @Test
  void everyValueIsWithinHalfTheWidestGapOfItsBlockMaximum() {
    Random random = new Random(3);
    float[] weight = new float[8 * 128];
    for (int i = 0; i < weight.length; i++) {
      weight[i] = (float) (random.nextGaussian() * 0.02);
    }
    float[] back = quantized(weight, 8, 128).dequantize().toFloatArray();

    double widestGap = 0;
    for (int i = 1; i < Nf4Linear.LEVELS.length; i++) {
      widestGap = Math.max(widestGap, Nf4Linear.LEVELS[i] - Nf4Linear.LEVELS[i - 1]);
    }
    assertThat(widestGap).isCloseTo(1.0 - 0.6961928009986877, org.assertj.core.data.Offset.offset(1e-7));
    for (int block = 0; block < weight.length / 64; block++) {
      float max = 0;
      for (int i = block * 64; i < (block + 1) * 64; i++) {
        max = Math.max(max, Math.abs(weight[i]));
      }
      for (int i = block * 64; i < (block + 1) * 64; i++) {
        assertThat((double) Math.abs(back[i] - weight[i])).isLessThanOrEqualTo(max * widestGap / 2 + 1e-7);
      }
    }
  }

  @Test
  void storesFourAndAHalfBitsAWeightAndComputesWithTheDequantizedWeight() {
    Random random = new Random(4);
    float[] weight = new float[16 * 64];
    for (int i = 0; i < weight.length; i++) {
      weight[i] = (float) random.nextGaussian();
    }
    Nf4Linear layer = quantized(weight, 16, 64);
    NDArray x = Tensors.of(manager, new float[] {1, 2}, new Shape(2, 1)).broadcast(2, 64);

    assertThat(layer.ownParameters().get("weight").data().getDataType()).isEqualTo(DataType.UINT8);
    assertThat(layer.storedBytes()).isEqualTo(16 * 64 / 2 + 16 * 4);
    assertThat(layer.forward(x).toFloatArray()).containsExactly(x.matMul(layer.dequantize().transpose()).toFloatArray());
  }
}
