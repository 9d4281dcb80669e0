package dev.peft4j.runtime.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.runtime.io.safetensors.SafetensorsFile;
import dev.peft4j.runtime.io.safetensors.TensorInfo;
import dev.peft4j.runtime.testing.Fixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Nf4Linear against bitsandbytes 0.50.2 on the CPU ({@code fixtures/nf4}, made by
 * {@code runtime/src/test/python/make_nf4_fixtures.py}): the same 4-bit codes, the same double-quantized scales and
 * the same dequantized weights, bit for bit.
 */
class Nf4AgainstBitsandbytesTest {

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  private static Path fixture(String name) {
    return Fixtures.path("nf4/" + name + ".safetensors");
  }

  private Nf4Linear quantized(SafetensorsFile file, String weight, Precision precision, boolean doubleQuantization) {
    long[] shape = file.info(weight).shape();
    NDArray values = Tensors.of(manager, file.readFloats(weight), new Shape(shape));
    return Nf4Linear.quantize(new Linear(values, null, precision), manager, doubleQuantization);
  }

  private static float[] floats(NDArray array) {
    return TorchOps.get().toFloat32(array).toFloatArray();
  }

  @ParameterizedTest
  @ValueSource(strings = {"edges", "random"})
  void theCodesScalesAndWeightsAreBitsandbytesOwn(String name) throws IOException {
    Path path = fixture(name);
    try (SafetensorsFile file = SafetensorsFile.open(path)) {
      Nf4Linear plain = quantized(file, "weight", Precision.FP32, false);
      Nf4Linear nested = quantized(file, "weight", Precision.FP32, true);
      long values = file.info("weight").numel();
      long blocks = values / 64;

      byte[] packed = bytes(path, file.info("nf4.packed"));
      assertThat(plain.ownParameters().get("weight").data().toByteArray()).isEqualTo(packed);
      assertThat(plain.blockScales().toFloatArray()).containsExactly(file.readFloats("nf4.absmax"));
      float[] dequantized = plain.dequantize().toFloatArray();
      assertThat(dequantized).containsExactly(file.readFloats("nf4.dequantized"));
      assertThat(plain.storedBytes()).isEqualTo(values / 2 + 4 * blocks);

      assertThat(nested.ownParameters().get("weight").data().toByteArray()).isEqualTo(packed);
      assertThat(nested.scaleCodes().toByteArray()).isEqualTo(bytes(path, file.info("dq.absmax_codes")));
      assertThat(nested.blockScales().toFloatArray()).containsExactly(file.readFloats("dq.absmax"));
      float[] dequantizedTwice = nested.dequantize().toFloatArray();
      assertThat(dequantizedTwice).containsExactly(file.readFloats("dq.dequantized"));
      long groups = (blocks + 255) / 256;
      assertThat(groups).isEqualTo(file.info("dq.absmax2").numel());
      assertThat(nested.storedBytes()).isEqualTo(values / 2 + blocks + 4 * groups + 4);

      // a bf16 run: the weight stored in bf16, quantized from there, dequantized to bf16
      assertThat(floats(quantized(file, "bf16.weight", Precision.BF16, false).dequantize()))
          .containsExactly(file.readFloats("bf16.nf4.dequantized"));
      assertThat(floats(quantized(file, "bf16.weight", Precision.BF16, true).dequantize()))
          .containsExactly(file.readFloats("bf16.dq.dequantized"));

      float[] weight = file.readFloats("weight");
      System.out.printf("%s: %d weights, %d blocks (%d of 256 scales); codes and scales equal to bitsandbytes'; max "
          + "|dequantized - weight| %.3g, double-quantized %.3g; %d bytes, double-quantized %d%n", name, values, blocks,
          groups, maxDifference(dequantized, weight), maxDifference(dequantizedTwice, weight), plain.storedBytes(),
          nested.storedBytes());
    }
  }

  @Test
  void theSecondLevelIsBitsandbytesQuantizeBlockwise() throws IOException {
    Path path = fixture("blockwise8");
    try (SafetensorsFile file = SafetensorsFile.open(path)) {
      assertThat(DoubleQuantization.CODE).containsExactly(file.readFloats("code"));
      DoubleQuantization.Quantized quantized = DoubleQuantization.quantize(file.readFloats("values"));
      assertThat(quantized.codes()).isEqualTo(bytes(path, file.info("codes")));
      assertThat(quantized.absmax()).containsExactly(file.readFloats("absmax"));
    }
    try (SafetensorsFile file = SafetensorsFile.open(fixture("random"))) {
      assertThat(DoubleQuantization.CODE).containsExactly(file.readFloats("dq.code"));
    }
  }

  private static double maxDifference(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  /** A U8 tensor's bytes (peft4j's reader reads floating-point tensors only). */
  private static byte[] bytes(Path path, TensorInfo info) throws IOException {
    assertThat(info.dtype()).isEqualTo("U8");
    try (FileChannel channel = FileChannel.open(path)) {
      ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      channel.read(length, 0);
      long dataStart = 8 + length.flip().getLong();
      ByteBuffer data = ByteBuffer.allocate((int) info.byteLength());
      while (data.hasRemaining() && channel.read(data, dataStart + info.begin() + data.position()) > 0) {
        // read on
      }
      return data.array();
    }
  }
}
