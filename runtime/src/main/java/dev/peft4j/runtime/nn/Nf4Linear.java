package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * A frozen linear layer stored as QLoRA's 4-bit NormalFloat (NF4), as bitsandbytes 0.50.2 quantizes on the CPU
 * ({@code quantize_4bit(quant_type="nf4", blocksize=64)}): blocks of 64 weights, each multiplied by the reciprocal
 * of its absolute maximum and given the NF4 level between whose midpoints it falls (a value on a midpoint takes the
 * lower level, as {@code torch.bucketize}), two codes per byte (the first in the high nibble). The weight is
 * dequantized, to the model's precision, for each forward pass of its layer, so it never stays in memory at full
 * precision longer than the backward pass of that layer needs it (with gradient checkpointing: one layer's weights
 * at a time).
 *
 * <p>The block scales are float32, one per 64 weights (4.5 bits a weight in all), or, with double quantization
 * (bitsandbytes' {@code compress_statistics}, transformers' {@code bnb_4bit_use_double_quant}), their mean and
 * their differences from it in 8 bits with a float32 absmax per 256 blocks ({@link DoubleQuantization}: 4 + 8/64 +
 * 32/(64·256) ≈ 4.127 bits a weight).
 *
 * <p>The packed codes are registered as the {@code weight} parameter (UINT8, {@code out·in/2} values),
 * which is how PEFT counts a 4-bit weight: twice its packed size.
 */
public final class Nf4Linear extends Module implements FrozenProduct {

  /** The NF4 levels of Dettmers et al. (QLoRA), as bitsandbytes defines them. */
  static final float[] LEVELS = {
      -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
      -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
      0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
      0.7229568362236023f, 1.0f};

  /** The midpoints between neighbouring levels, in float32 as bitsandbytes computes them: {@code (a + b) / 2}. */
  static final float[] MIDPOINTS = midpoints(LEVELS);

  /** The two levels a byte of codes stands for, {@code [256, 2]} row-major: the high nibble's, then the low one's. */
  static final float[] PAIRS = pairs(LEVELS);

  public static final int BLOCK = 64;

  /** The divisor of a block of zeros (bitsandbytes' {@code absmax.clamp(min=1e-38)}, in float32: a subnormal). */
  private static final float SMALLEST_ABSMAX = (float) 1e-38;

  private final int out;
  private final int in;
  private final Parameter codes;
  private final Scales scales;
  private final NDArray pairs;
  private final Parameter bias;
  private final Precision precision;

  private Nf4Linear(int out, int in, NDArray codes, Scales scales, NDArray pairs, Parameter bias,
      Precision precision) {
    this.precision = precision;
    this.out = out;
    this.in = in;
    this.codes = register("weight", new Parameter(codes));
    this.scales = scales;
    this.pairs = pairs;
    this.bias = bias == null ? null : register("bias", bias);
  }

  /**
   * The scales of the blocks: float32, one a block ({@code absmax}, {@code [blocks, 1]}), or double-quantized: one
   * code a block ({@code codes}, UINT8), an absmax per {@value DoubleQuantization#BLOCK} blocks ({@code absmax},
   * {@code [groups, 1]}), their mean ({@code offset}, 0-d) and the dynamic map ({@code map}, {@code [256, 1]}).
   */
  private record Scales(int blocks, NDArray absmax, NDArray codes, NDArray offset, NDArray map) {

    boolean doubleQuantized() {
      return codes != null;
    }

    /**
     * Each block's scale, {@code [blocks, 1]} float32: the stored scales, or {@code map[code] · absmax + offset}
     * made in the caller's scope (their intermediates freed at once).
     */
    NDArray perBlock() {
      if (!doubleQuantized()) {
        return absmax;
      }
      NDArray scale;
      try (NDScope scope = new NDScope()) {
        NDArray indices = codes.toType(DataType.INT64, false);
        NDArray values = indices.getNDArrayInternal().embedding(indices, map, SparseFormat.DENSE).singletonOrThrow();
        NDArray groupAbsmax = absmax.broadcast(absmax.getShape().get(0), DoubleQuantization.BLOCK).reshape(-1, 1)
            .get(new NDIndex(":{}", blocks));
        scale = values.mul(groupAbsmax).add(offset);
        NDScope.unregister(scale);
      }
      NDScope.register(scale);
      return scale;
    }

    long bytes() {
      return doubleQuantized() ? blocks + absmax.getShape().size() * 4 + 4 : blocks * 4L;
    }
  }

  /**
   * Quantizes a linear layer's weight; the weight is closed. The layer count must divide into blocks. It is done in
   * libtorch, a few rows at a time (about {@value #CHUNK_VALUES} values), so that quantizing a large model makes no
   * garbage on the Java heap (whose pages the JVM would keep) and bounded transients. A value's code is the number of
   * midpoints below it once multiplied by its block's reciprocal absmax and clamped to [-1, 1] ({@code
   * torch.bucketize}, {@code right=False}).
   *
   * @param doubleQuantization store the block scales in 8 bits, as QLoRA's double quantization
   */
  public static Nf4Linear quantize(Linear linear, NDManager manager, boolean doubleQuantization) {
    NDArray weight = Precision.master(linear.weight().data());
    int out = (int) weight.getShape().get(0);
    int in = (int) weight.getShape().get(1);
    long count = (long) out * in;
    if (count % BLOCK != 0 || count / 2 > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a " + out + "×" + in + " weight does not divide into NF4 blocks of " + BLOCK);
    }
    // rows per chunk: a whole number of blocks
    int rowsPerBlock = BLOCK / gcd(in, BLOCK);
    int rows = Math.max(rowsPerBlock, (CHUNK_VALUES / Math.max(1, in)) / rowsPerBlock * rowsPerBlock);
    NDList packedChunks = new NDList();
    NDList absmaxChunks = new NDList();
    try (NDArray one = manager.create(1f)) {
      for (int from = 0; from < out; from += rows) {
        try (NDScope scope = new NDScope()) {
          NDArray blocks = weight.get(new NDIndex("{}:{}", from, Math.min(out, from + rows))).reshape(-1, BLOCK);
          NDArray absmax = blocks.abs().max(new int[] {1}, true);
          NDArray scaled = blocks.mul(one.div(absmax.maximum(SMALLEST_ABSMAX))).clip(-1f, 1f);
          NDArray codes = scaled.gt(MIDPOINTS[0]).toType(DataType.INT32, false);
          for (int i = 1; i < MIDPOINTS.length; i++) {
            try (NDArray above = scaled.gt(MIDPOINTS[i]); NDArray counted = above.toType(DataType.INT32, false)) {
              codes.addi(counted);
            }
          }
          codes = codes.reshape(-1, 2);
          NDArray packed = codes.get(new NDIndex(":, 0")).mul(16).add(codes.get(new NDIndex(":, 1")))
              .toType(DataType.UINT8, false);
          packedChunks.add(keep(packed));
          absmaxChunks.add(keep(absmax));
        }
      }
    }
    weight.close();
    NDArray codes = concatenated(packedChunks);
    NDArray absmax = concatenated(absmaxChunks);
    Scales scales;
    if (doubleQuantization) {
      scales = doubleQuantized(absmax.toFloatArray(), manager);
      absmax.close();
    } else {
      scales = new Scales((int) absmax.getShape().get(0), absmax, null, null, null);
    }
    return new Nf4Linear(out, in, codes, scales, Tensors.of(manager, PAIRS, new Shape(PAIRS.length / 2, 2)), linear.bias(),
        linear.precision());
  }

  /**
   * Stores every {@link Linear} below {@code module} (a decoder layer) as NF4 in its place; their weights are closed.
   *
   * @param doubleQuantization store the block scales in 8 bits, as QLoRA's double quantization
   */
  public static void quantizeLinears(Module module, NDManager manager, boolean doubleQuantization) {
    Map<String, Module> modules = module.namedModules();
    modules.forEach((name, child) -> {
      if (child instanceof Linear linear && !name.isEmpty()) {
        int dot = name.lastIndexOf('.');
        Module parent = dot < 0 ? module : modules.get(name.substring(0, dot));
        parent.replaceChild(name.substring(dot + 1), quantize(linear, manager, doubleQuantization));
      }
    });
  }

  private static NDArray keep(NDArray array) {
    NDScope.unregister(array);
    return array;
  }

  /** The chunks joined along their first axis; the chunks are closed. */
  private static NDArray concatenated(NDList chunks) {
    if (chunks.size() == 1) {
      return chunks.get(0);
    }
    NDArray joined = NDArrays.concat(chunks);
    chunks.close();
    return joined;
  }

  /**
   * The block scales double-quantized: their mean as libtorch's {@code mean} computes it (as bitsandbytes takes it:
   * {@code absmax.mean()}), and their differences from it in 8 bits.
   */
  private static Scales doubleQuantized(float[] absmax, NDManager manager) {
    float offset;
    try (NDArray all = Tensors.of(manager, absmax, new Shape(absmax.length)); NDArray mean = all.mean()) {
      offset = mean.toFloatArray()[0];
    }
    float[] differences = new float[absmax.length];
    for (int i = 0; i < absmax.length; i++) {
      differences[i] = absmax[i] - offset;
    }
    DoubleQuantization.Quantized quantized = DoubleQuantization.quantize(differences);
    NDArray codes = Tensors.owned(manager.create(ByteBuffer.wrap(quantized.codes()), new Shape(absmax.length),
        DataType.UINT8));
    float[] groups = quantized.absmax();
    return new Scales(absmax.length, Tensors.of(manager, groups, new Shape(groups.length, 1)), codes,
        Tensors.scalar(manager, offset),
        Tensors.of(manager, DoubleQuantization.CODE, new Shape(DoubleQuantization.CODE.length, 1)));
  }

  /** About this many weight values pass through a Java array at a time while quantizing. */
  static final int CHUNK_VALUES = 1 << 20;

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  /** The midpoints of neighbouring values of a sorted code, {@code (a + b) / 2} in float32 (NF4's and the 8-bit map's). */
  static float[] midpoints(float[] code) {
    float[] midpoints = new float[code.length - 1];
    for (int i = 0; i < midpoints.length; i++) {
      midpoints[i] = (code[i] + code[i + 1]) / 2f;
    }
    return midpoints;
  }

  static float[] pairs(float[] levels) {
    float[] pairs = new float[256 * 2];
    for (int b = 0; b < 256; b++) {
      pairs[2 * b] = levels[b >> 4];
      pairs[2 * b + 1] = levels[b & 15];
    }
    return pairs;
  }

  /** The 8-bit codes of the block scales (UINT8, one a block) when {@link #doubleQuantized}, else null. */
  NDArray scaleCodes() {
    return scales.codes();
  }

  /** Each block's scale as {@link #dequantize} uses it, float32 {@code [blocks]}; the caller closes it. */
  NDArray blockScales() {
    NDArray scale;
    try (NDScope scope = new NDScope()) {
      scale = scales.perBlock().reshape(-1).duplicate();
      NDScope.unregister(scale);
    }
    return scale;
  }

  /**
   * The weight {@code [out, in]} the codes stand for, in the model's precision: each byte looked up in {@link #PAIRS}
   * (its two levels at once), times its block's scale. The intermediates (the bytes as int64 indices and the levels
   * in float32, each twice the size of a bf16 weight) are freed at once, not at the end of the step.
   */
  public NDArray dequantize() {
    NDArray weight;
    try (NDScope scope = new NDScope()) {
      NDArray scale = scales.perBlock();
      NDArray indices = codes.data().toType(DataType.INT64, false);
      NDArray normalized = indices.getNDArrayInternal().embedding(indices, pairs, SparseFormat.DENSE).singletonOrThrow();
      weight = precision.compute(normalized.reshape(-1, BLOCK).mul(scale).reshape(out, in));
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

  /** The codes never train; the bias may (a method may make it trainable). */
  @Override
  public boolean frozen() {
    return bias == null || !bias.trainable();
  }

  /** {@code g·W} with the weight dequantized for this call and freed with the caller's scope. */
  @Override
  public NDArray inputGradient(NDArray outputGradient) {
    return precision.compute(outputGradient).matMul(dequantize());
  }

  @Override
  public NDArray forward(NDArray input) {
    NDArray result = precision.compute(input).matMul(dequantize().transpose());
    return bias == null ? result : result.add(precision.compute(bias.data()));
  }

  /**
   * Bytes the quantized weight takes: packed codes and the block scales (an fp32 scale a block, or with double
   * quantization a byte a block, an fp32 absmax per 256 blocks and the fp32 offset).
   */
  public long storedBytes() {
    return codes.data().getShape().size() + scales.bytes();
  }
}
