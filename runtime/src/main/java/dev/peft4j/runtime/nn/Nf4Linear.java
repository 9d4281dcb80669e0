package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import dev.peft4j.api.model.LinearLayer;

/**
 * A frozen linear layer stored as QLoRA's 4-bit NormalFloat (NF4): blocks of 64 weights, each scaled by
 * its absolute maximum and rounded to the nearest of 16 NormalFloat levels, two codes per byte (the
 * first in the high nibble, as bitsandbytes packs them). The weight is dequantized, to the model's precision,
 * for each forward pass of its layer, so it never stays in memory at full precision longer than the backward
 * pass of that layer needs it (with gradient checkpointing: one layer's weights at a time).
 *
 * <p>The packed codes are registered as the {@code weight} parameter (UINT8, {@code out·in/2} values),
 * which is how PEFT counts a 4-bit weight: twice its packed size.
 */
public final class Nf4Linear extends Module implements LinearLayer {

  /** The NF4 levels of Dettmers et al. (QLoRA), as bitsandbytes defines them. */
  static final float[] LEVELS = {
      -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
      -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
      0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
      0.7229568362236023f, 1.0f};

  public static final int BLOCK = 64;

  private final int out;
  private final int in;
  private final Parameter codes;
  private final NDArray absmax;
  private final NDArray levels;
  private final NDArray sixteen;
  private final Parameter bias;
  private final Precision precision;

  private Nf4Linear(int out, int in, NDArray codes, NDArray absmax, NDArray levels, NDArray sixteen, Parameter bias,
      Precision precision) {
    this.precision = precision;
    this.out = out;
    this.in = in;
    this.codes = register("weight", new Parameter(codes));
    this.absmax = absmax;
    this.levels = levels;
    this.sixteen = sixteen;
    this.bias = bias == null ? null : register("bias", bias);
  }

  /**
   * Quantizes a linear layer's weight; the weight is closed. The layer count must divide into blocks. The values
   * pass through Java arrays a few rows at a time (about {@value #CHUNK_VALUES} values), so that quantizing a large
   * model leaves little garbage on the Java heap.
   */
  public static Nf4Linear quantize(Linear linear, NDManager manager) {
    NDArray weight = Precision.master(linear.weight().data());
    int out = (int) weight.getShape().get(0);
    int in = (int) weight.getShape().get(1);
    long count = (long) out * in;
    if (count % BLOCK != 0 || count / 2 > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a " + out + "×" + in + " weight does not divide into NF4 blocks of " + BLOCK);
    }
    float[] scales = new float[(int) (count / BLOCK)];
    byte[] packed = new byte[(int) (count / 2)];
    // rows per chunk: a whole number of blocks
    int rowsPerBlock = BLOCK / gcd(in, BLOCK);
    int rows = Math.max(rowsPerBlock, (CHUNK_VALUES / Math.max(1, in)) / rowsPerBlock * rowsPerBlock);
    for (int from = 0; from < out; from += rows) {
      int to = Math.min(out, from + rows);
      float[] values;
      try (NDScope scope = new NDScope()) {
        values = weight.get(new NDIndex("{}:{}", from, to)).toFloatArray();
      }
      int first = (int) ((long) from * in / BLOCK);
      for (int block = 0; block < values.length / BLOCK; block++) {
        float max = 0;
        for (int i = block * BLOCK; i < (block + 1) * BLOCK; i++) {
          max = Math.max(max, Math.abs(values[i]));
        }
        scales[first + block] = max;
        for (int i = block * BLOCK; i < (block + 1) * BLOCK; i += 2) {
          int high = nearest(max == 0 ? 0 : values[i] / max);
          int low = nearest(max == 0 ? 0 : values[i + 1] / max);
          packed[(first * BLOCK + i) / 2] = (byte) ((high << 4) | low);
        }
      }
    }
    weight.close();
    NDArray codes = Tensors.owned(manager.create(java.nio.ByteBuffer.wrap(packed), new Shape(packed.length), DataType.UINT8));
    return new Nf4Linear(out, in, codes, Tensors.of(manager, scales, new Shape(scales.length, 1)),
        Tensors.of(manager, LEVELS, new Shape(LEVELS.length, 1)), Tensors.scalar(manager, 16f), linear.bias(),
        linear.precision());
  }

  /** About this many weight values pass through a Java array at a time while quantizing. */
  static final int CHUNK_VALUES = 1 << 20;

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  /** The index of the NF4 level closest to {@code normalized} (in [-1, 1]). */
  static int nearest(float normalized) {
    int best = 0;
    for (int i = 1; i < LEVELS.length; i++) {
      if (Math.abs(LEVELS[i] - normalized) < Math.abs(LEVELS[best] - normalized)) {
        best = i;
      }
    }
    return best;
  }

  /**
   * The weight {@code [out, in]} the codes stand for, in the model's precision. The intermediates (the codes as
   * floats and as int64 indices, twice the weight's size) are freed at once, not at the end of the step.
   */
  public NDArray dequantize() {
    NDArray weight;
    try (NDScope scope = new NDScope()) {
      NDArray bytes = codes.data().toType(DataType.FLOAT32, false);
      NDArray high = bytes.div(sixteen).floor();
      NDArray low = bytes.sub(high.mul(sixteen));
      NDArray indices = ai.djl.ndarray.NDArrays.stack(new ai.djl.ndarray.NDList(high, low), 1)
          .reshape(-1).toType(DataType.INT64, false);
      NDArray normalized = indices.getNDArrayInternal().embedding(indices, levels, SparseFormat.DENSE).singletonOrThrow();
      weight = precision.compute(normalized.reshape(-1, BLOCK).mul(absmax).reshape(out, in));
      NDScope.unregister(weight);
    }
    NDScope.register(weight);
    return weight;
  }

  @Override
  public int inFeatures() {
    return in;
  }

  @Override
  public int outFeatures() {
    return out;
  }

  @Override
  public NDArray forward(NDArray input) {
    NDArray result = precision.compute(input).matMul(dequantize().transpose());
    return bias == null ? result : result.add(precision.compute(bias.data()));
  }

  /** Bytes the quantized weight takes: packed codes and one fp32 scale per block. */
  public long storedBytes() {
    return codes.data().getShape().size() + absmax.getShape().size() * 4;
  }
}
