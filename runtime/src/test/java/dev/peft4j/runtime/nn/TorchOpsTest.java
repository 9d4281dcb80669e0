package dev.peft4j.runtime.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.peft4j.runtime.io.safetensors.HalfFloats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every function of {@link TorchOps} against what it must compute — a plain DJL computation in float32, or
 * bfloat16's definition (round to nearest even of the float32 bits) — and autograd through the casts.
 */
class TorchOpsTest {

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();
  private final TorchOps ops = TorchOps.get();

  @AfterEach
  void close() {
    manager.close();
  }

  private NDArray random(long seed, long... shape) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = new float[Math.toIntExact(new Shape(shape).size())];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return Tensors.of(manager, values, new Shape(shape));
  }

  @Test
  void theModuleIsTheOneTheCommittedScriptMakes() throws IOException, NoSuchAlgorithmException {
    Path script = Path.of("src/main/torchscript/make_torch_ops.py");
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(script)));
    String recorded = null;
    try (ZipFile zip = new ZipFile(Path.of("src/main/resources/dev/peft4j/runtime/nn/torch-ops.pt").toFile())) {
      for (ZipEntry entry : java.util.Collections.list(zip.entries())) {
        if (entry.getName().endsWith("/extra/source.sha256")) {
          recorded = new String(zip.getInputStream(entry).readAllBytes(), StandardCharsets.US_ASCII).trim();
        }
      }
    }
    assertThat(recorded).as("the SHA-256 of make_torch_ops.py recorded in torch-ops.pt: run the script again").isEqualTo(expected);
  }

  @Test
  void bf16RoundsToNearestEvenAndComesBack() {
    NDArray x = random(1, 64);
    NDArray bf16 = ops.toBf16(x);
    assertThat(TorchOps.isBf16(bf16)).isTrue();
    assertThat(bf16.getShape()).isEqualTo(x.getShape());
    float[] back = ops.toFloat32(bf16).toFloatArray();
    float[] original = x.toFloatArray();
    for (int i = 0; i < original.length; i++) {
      assertThat(back[i]).isEqualTo(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(original[i])));
    }
    assertThat(ops.toBf16(bf16)).isSameAs(bf16);
    assertThat(ops.toFloat32(x)).isSameAs(x);
  }

  @Test
  void everyBf16BitPatternDecodesExactly() {
    byte[] bytes = new byte[2 * 65536];
    for (int p = 0; p < 65536; p++) {
      bytes[2 * p] = (byte) p;
      bytes[2 * p + 1] = (byte) (p >> 8);
    }
    NDArray data = Tensors.owned(manager.create(java.nio.ByteBuffer.wrap(bytes), new Shape(bytes.length), DataType.UINT8));
    NDArray decoded = ops.bf16FromBytes(data);
    assertThat(TorchOps.isBf16(decoded)).isTrue();
    float[] values = ops.toFloat32(decoded).toFloatArray();
    for (int p = 0; p < 65536; p++) {
      float expected = HalfFloats.bf16ToFloat((short) p);
      if (Float.isNaN(expected)) {
        assertThat(values[p]).as("pattern %04x", p).isNaN();
      } else {
        assertThat(Float.floatToRawIntBits(values[p])).as("pattern %04x", p).isEqualTo(Float.floatToRawIntBits(expected));
      }
    }
    assertThatThrownBy(() -> ops.bf16FromBytes(random(3, 2))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void gradientsFlowThroughTheCasts() {
    NDArray master = random(4, 4, 3);
    master.setRequiresGradient(true);
    NDArray x = random(5, 2, 4);
    try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray product = ops.toBf16(x).matMul(ops.toBf16(master));
      collector.backward(ops.toFloat32(product).sum());
    }
    // d sum(x·W) / dW[i][j] = sum over rows of x[r][i], computed in bf16 from bf16 inputs
    float[] xs = ops.toFloat32(ops.toBf16(x)).toFloatArray();
    float[] grad = master.getGradient().toFloatArray();
    assertThat(master.getGradient().getDataType()).isEqualTo(DataType.FLOAT32);
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 3; j++) {
        assertThat(grad[i * 3 + j]).isCloseTo(xs[i] + xs[4 + i], within(1e-2f));
      }
    }
  }

  @Test
  void rmsNormIsLlamas() {
    NDArray x = random(6, 2, 3, 8);
    NDArray w = random(7, 8);
    NDArray eps = Tensors.scalar(manager, 1e-6f);
    NDArray expected = x.div(x.square().mean(new int[] {-1}, true).add(eps).sqrt()).mul(w);
    assertClose(ops.rmsNorm(x, w, eps), expected, 1e-6);
    NDArray bf16 = ops.rmsNorm(ops.toBf16(x), ops.toBf16(w), eps);
    assertThat(TorchOps.isBf16(bf16)).isTrue();
    assertClose(ops.toFloat32(bf16), expected, 2e-2);
  }

  @Test
  void attentionIsSoftmaxOfScaledScores() {
    NDArray q = random(8, 2, 4, 5, 8);
    NDArray k = random(9, 2, 2, 5, 8);
    NDArray v = random(10, 2, 2, 5, 8);
    NDArray scale = Tensors.scalar(manager, 0.3f);
    boolean[] allowed = new boolean[2 * 5 * 5];
    float[] additive = new float[allowed.length];
    for (int b = 0; b < 2; b++) {
      for (int i = 0; i < 5; i++) {
        for (int j = 0; j < 5; j++) {
          int at = (b * 5 + i) * 5 + j;
          allowed[at] = j <= i && !(b == 1 && j >= 3 && i < 3);
          additive[at] = allowed[at] ? 0 : -1e30f;
        }
      }
    }
    NDArray kk = k.repeat(1, 2);
    NDArray vv = v.repeat(1, 2);
    NDArray mask = Tensors.of(manager, additive, new Shape(2, 1, 5, 5));
    NDArray expected = q.matMul(kk.transpose(0, 1, 3, 2)).mul(scale).add(mask).softmax(-1).matMul(vv);
    NDArray allowedArray = Tensors.owned(manager.create(allowed, new Shape(2, 1, 5, 5)));
    assertClose(ops.maskedAttention(q, k, v, allowedArray, scale), expected, 1e-6);

    float[] causal = new float[2 * 5 * 5];
    for (int i = 0; i < causal.length; i++) {
      causal[i] = (i % 5) <= (i / 5) % 5 ? 0 : -1e30f;
    }
    NDArray causalExpected = q.matMul(kk.transpose(0, 1, 3, 2)).mul(scale)
        .add(Tensors.of(manager, causal, new Shape(2, 1, 5, 5))).softmax(-1).matMul(vv);
    assertClose(ops.causalAttention(q, k, v, scale), causalExpected, 1e-6);
    assertClose(ops.toFloat32(ops.causalAttention(ops.toBf16(q), ops.toBf16(k), ops.toBf16(v), scale)), causalExpected, 3e-2);
  }

  @Test
  void ropeSiluEmbeddingAndLoss() {
    NDArray q = random(11, 1, 2, 3, 4);
    NDArray k = random(12, 1, 1, 3, 4);
    NDArray cos = random(13, 1, 1, 3, 4);
    NDArray sin = random(14, 1, 1, 3, 4);
    NDArray[] rotated = ops.rope(q, k, cos, sin);
    assertClose(rotated[0], q.mul(cos).add(rotateHalf(q).mul(sin)), 1e-6);
    assertClose(rotated[1], k.mul(cos).add(rotateHalf(k).mul(sin)), 1e-6);

    NDArray gate = random(15, 2, 6);
    NDArray up = random(16, 2, 6);
    assertClose(ops.siluMul(gate, up), gate.mul(ai.djl.nn.Activation.sigmoid(gate)).mul(up), 1e-6);

    NDArray table = random(17, 5, 3);
    NDArray ids = Tensors.of(manager, new long[] {4, 0, 4}, new Shape(3));
    assertThat(ops.embedding(ids, table).toFloatArray())
        .containsExactly(concat(row(table, 4), row(table, 0), row(table, 4)));

    NDArray logits = random(18, 3, 5);
    NDArray labels = Tensors.of(manager, new long[] {2, -100, 4}, new Shape(3));
    float[] logProbabilities = logits.logSoftmax(-1).toFloatArray();
    assertThat(ops.crossEntropySum(logits, labels).getFloat())
        .isCloseTo(-(logProbabilities[2] + logProbabilities[10 + 4]), within(1e-6f));
    assertThat(ops.crossEntropySum(ops.toBf16(logits), labels).getDataType()).isEqualTo(DataType.FLOAT32);
  }

  @Test
  void namedInputsAreRefused() {
    NDArray x = random(19, 2);
    x.setName("a.b");
    assertThatThrownBy(() -> ops.toBf16(x)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a.b");
  }

  private static NDArray rotateHalf(NDArray x) {
    long half = x.getShape().get(3) / 2;
    return ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(
        x.get(new ai.djl.ndarray.index.NDIndex("..., {}:", half)).neg(), x.get(new ai.djl.ndarray.index.NDIndex("..., :{}", half))), -1);
  }

  private static float[] row(NDArray table, int i) {
    return table.get(i).toFloatArray();
  }

  private static float[] concat(float[]... parts) {
    int n = 0;
    for (float[] part : parts) {
      n += part.length;
    }
    float[] all = new float[n];
    int at = 0;
    for (float[] part : parts) {
      System.arraycopy(part, 0, all, at, part.length);
      at += part.length;
    }
    return all;
  }

  private static void assertClose(NDArray actual, NDArray expected, double tolerance) {
    assertThat(actual.getShape()).isEqualTo(expected.getShape());
    float[] a = actual.toFloatArray();
    float[] e = expected.toFloatArray();
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - e[i]));
    }
    assertThat(worst).isLessThan(tolerance);
  }

  @Test
  void backwardFromTwoArraysRunsEachNodeOnceWithTheSumOfTheirGradients() {
    NDArray x = random(21, 3, 4);
    x.setRequiresGradient(true);
    NDArray gradientOfA = random(22, 3, 4);
    NDArray gradientOfB = random(23, 3, 4);
    try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray a = x.mul(2);
      NDArray b = a.mul(a); // b depends on a: a's node receives its own gradient and b's
      ops.backwardFromTwo(a, gradientOfA, b, gradientOfB);
    }
    float[] xs = x.toFloatArray();
    float[] ga = gradientOfA.toFloatArray();
    float[] gb = gradientOfB.toFloatArray();
    float[] grad = x.getGradient().toFloatArray();
    for (int i = 0; i < xs.length; i++) {
      // d/dx of <ga, 2x> + <gb, 4x²> = 2·ga + 8x·gb
      assertThat(grad[i]).as("x[%d]", i).isCloseTo(2 * ga[i] + 8 * xs[i] * gb[i], within(1e-5f));
    }
  }

  @Test
  void backwardFromTwoArraysLeavesOutOneThatTakesNoGradient() {
    NDArray x = random(24, 5);
    x.setRequiresGradient(true);
    NDArray constant = random(25, 5);
    NDArray gradient = random(26, 5);
    try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      ops.backwardFromTwo(constant, gradient, x.mul(3), gradient);
    }
    float[] g = gradient.toFloatArray();
    float[] grad = x.getGradient().toFloatArray();
    for (int i = 0; i < g.length; i++) {
      assertThat(grad[i]).isCloseTo(3 * g[i], within(1e-6f));
    }
  }
}
