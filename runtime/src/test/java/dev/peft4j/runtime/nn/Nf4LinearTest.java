package dev.peft4j.runtime.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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
    return quantized(weight, out, in, false);
  }

  private Nf4Linear quantized(float[] weight, int out, int in, boolean doubleQuantization) {
    return Nf4Linear.quantize(new Linear(Tensors.of(manager, weight, new Shape(out, in)), null, Precision.FP32), manager,
        doubleQuantization);
  }

  @Test
  void levelsTimesTheBlockMaximumComeBackExactly() {
    float[] weight = new float[64];
    for (int i = 0; i < 64; i++) {
      weight[i] = 0.5f * Nf4Linear.LEVELS[i % 16];
    }

    assertThat(quantized(weight, 1, 64).dequantize().toFloatArray()).containsExactly(weight);
  }

  /** NF4's code of a scaled value, one value at a time: clamped to [-1, 1], the number of midpoints below it. */
  private static int code(float scaled) {
    float value = Math.max(-1f, Math.min(1f, scaled));
    int code = 0;
    while (code < Nf4Linear.MIDPOINTS.length && Nf4Linear.MIDPOINTS[code] < value) {
      code++;
    }
    return code;
  }

  /** A weight of several chunks (the last one short): each value's level is the one {@link #code} picks. */
  @Test
  void aWeightOfSeveralChunksIsQuantizedValueByValueAsOneChunkWould() {
    int in = 1024;
    int out = 2 * Nf4Linear.CHUNK_VALUES / in + 3;
    Random random = new Random(5);
    float[] weight = new float[out * in];
    for (int i = 0; i < weight.length; i++) {
      weight[i] = (float) (random.nextGaussian() * (i % 4096 == 0 ? 1 : 0.02));
    }
    float[] back = quantized(weight, out, in).dequantize().toFloatArray();

    for (int block = 0; block < weight.length / 64; block++) {
      float max = 0;
      for (int i = block * 64; i < (block + 1) * 64; i++) {
        max = Math.max(max, Math.abs(weight[i]));
      }
      float reciprocal = 1f / max;
      for (int i = block * 64; i < (block + 1) * 64; i++) {
        assertThat(back[i]).as("value %d", i).isEqualTo(Nf4Linear.LEVELS[code(weight[i] * reciprocal)] * max);
      }
    }
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

  @Test
  void doubleQuantizationStoresAByteABlockAndAnAbsmaxPer256BlocksAndComputesTheSameWay() {
    Random random = new Random(5);
    int out = 300;
    float[] weight = new float[out * 64];
    for (int i = 0; i < weight.length; i++) {
      weight[i] = (float) (random.nextGaussian() * 0.02);
    }
    Nf4Linear plain = quantized(weight, out, 64);
    Nf4Linear layer = quantized(weight, out, 64, true);
    NDArray x = Tensors.of(manager, new float[] {1, 2}, new Shape(2, 1)).broadcast(2, 64);

    // 300 blocks: codes, a byte a block, two second-level absmaxes (256 + 44 blocks) and the offset
    assertThat(layer.storedBytes()).isEqualTo(out * 64 / 2 + out + 2 * 4 + 4);
    assertThat(layer.storedBytes() * 8.0 / weight.length).isCloseTo(4 + 8.0 / 64, within(0.01));
    assertThat(layer.ownParameters().get("weight").data().toByteArray())
        .isEqualTo(plain.ownParameters().get("weight").data().toByteArray());
    assertThat(layer.scaleCodes().getShape()).isEqualTo(new Shape(out));
    assertThat(plain.scaleCodes()).isNull();
    float[] exact = plain.blockScales().toFloatArray();
    float[] scales = layer.blockScales().toFloatArray();
    double mean = 0;
    for (float scale : exact) {
      mean += scale / out;
    }
    double widestGap = 0;
    for (int i = 1; i < DoubleQuantization.CODE.length; i++) {
      widestGap = Math.max(widestGap, DoubleQuantization.CODE[i] - DoubleQuantization.CODE[i - 1]);
    }
    for (int group = 0; group * 256 < out; group++) {
      double largest = 0;
      for (int block = group * 256; block < Math.min(out, (group + 1) * 256); block++) {
        largest = Math.max(largest, Math.abs(exact[block] - mean));
      }
      // each difference from the mean to the code nearest it, or the next one (one bin of the kernel's table)
      double bound = largest * (widestGap / 2 + 2.0 / 65535) + 1e-8;
      for (int block = group * 256; block < Math.min(out, (group + 1) * 256); block++) {
        assertThat((double) Math.abs(scales[block] - exact[block])).isLessThanOrEqualTo(bound);
      }
    }
    assertThat(layer.forward(x).toFloatArray()).containsExactly(x.matMul(layer.dequantize().transpose()).toFloatArray());
  }
}
