package dev.peft4j.runtime.nn;

import java.util.Arrays;

/**
 * The second level of QLoRA's double quantization: the block scales of a 4-bit weight, less their mean, stored in
 * 8 bits each with one float32 absmax per {@value #BLOCK} of them, as bitsandbytes 0.50.2 makes them on the CPU
 * ({@code quantize_blockwise(absmax - offset, blocksize=256)}, its native kernel {@code quantize_cpu_impl<float>},
 * with the signed dynamic map of {@code create_dynamic_map()}). A scale comes back as {@code CODE[q] · absmax +
 * offset}.
 *
 * <p>The kernel does not look for the nearest code: it normalizes a value by its block's absmax (times the
 * reciprocal), maps [-1, 1] onto 65,536 equal bins, and takes the code a table built for each bin holds (the first
 * code whose upper midpoint is not below the bin's start). Values within a bin's width (2/65,535) of a midpoint may so
 * take the farther code, and the codes near zero, closer together than a bin, are never taken; this class makes
 * the same choices, so that its codes are bitsandbytes' byte for byte.
 */
final class DoubleQuantization {

  /** Scales per second-level block: bitsandbytes' blocksize for the nested quantization of a 4-bit weight. */
  static final int BLOCK = 256;

  /** The signed dynamic 8-bit map, sorted: 127 negative values, 0, 127 positive ones and 1. */
  static final float[] CODE = dynamicMap();

  private static final int BINS = 1 << 16;
  private static final byte[] TABLE = table(CODE);

  /**
   * @param codes one code per value
   * @param absmax the largest magnitude of each block of {@value #BLOCK} values (the last block may be shorter)
   */
  record Quantized(byte[] codes, float[] absmax) {}

  private DoubleQuantization() {}

  /** {@code values} (the block scales less their mean) in 8 bits, as bitsandbytes' CPU kernel quantizes them. */
  static Quantized quantize(float[] values) {
    byte[] codes = new byte[values.length];
    float[] absmax = new float[(values.length + BLOCK - 1) / BLOCK];
    for (int block = 0; block < absmax.length; block++) {
      int from = block * BLOCK;
      int to = Math.min(values.length, from + BLOCK);
      float max = 0;
      for (int i = from; i < to; i++) {
        max = Math.max(max, Math.abs(values[i]));
      }
      absmax[block] = max;
      if (max == 0) {
        continue; // the kernel writes code 0 for a block of zeros (CODE[0] · 0 is 0 again)
      }
      float reciprocal = 1f / max;
      for (int i = from; i < to; i++) {
        float normalized = Math.max(-1f, Math.min(1f, values[i] * reciprocal));
        // the kernel fuses the multiply-add; rounding it twice gives the same bin for every float32 in [-1, 1]
        int bin = (int) ((normalized + 1f) * 0.5f * (BINS - 1) + 0.5f);
        codes[i] = TABLE[bin & (BINS - 1)];
      }
    }
    return new Quantized(codes, absmax);
  }

  /**
   * bitsandbytes' {@code create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)}, in float32 as
   * Python computes it: for each exponent i from 0 to 6, the means of neighbouring points of {@code
   * torch.linspace(0.1, 1, 2^i + 1)}, times {@code 10^(i - 6)} and its negative, then 0 and 1, sorted.
   */
  static float[] dynamicMap() {
    // 10 ** (i - 6) as Python computes it (a double, an int for i = 6), made float32 as torch makes a scalar
    double[] powers = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1};
    float[] data = new float[256];
    int n = 0;
    for (int i = 0; i < powers.length; i++) {
      float[] boundaries = linspace(0.1f, 1f, (1 << i) + 1);
      float scale = (float) powers[i];
      float[] means = new float[boundaries.length - 1];
      for (int j = 0; j < means.length; j++) {
        means[j] = (boundaries[j] + boundaries[j + 1]) / 2f;
      }
      for (float mean : means) {
        data[n++] = scale * mean;
      }
      for (float mean : means) {
        data[n++] = -scale * mean;
      }
    }
    data[n++] = 0f;
    data[n] = 1f;
    Arrays.sort(data);
    return data;
  }

  /**
   * {@code torch.linspace(start, end, steps, dtype=torch.float32)} as libtorch's AVX2 and AVX-512 kernels compute
   * it: the first half from the start, the second from the end, each point one fused multiply-add. (Its kernel for
   * CPUs without AVX2 rounds the product and the sum apart, and gives 42 of the map's values one unit in the last
   * place apart: there bitsandbytes' map is another.)
   */
  static float[] linspace(float start, float end, int steps) {
    float step = (end - start) / (steps - 1);
    int halfway = steps / 2;
    float[] points = new float[steps];
    for (int i = 0; i < steps; i++) {
      points[i] = i < halfway ? Math.fma(step, (float) i, start) : Math.fma(-step, (float) (steps - i - 1), end);
    }
    return points;
  }

  /** The kernel's table ({@code build_quantize_lut}): for each bin of [-1, 1], the code it maps to. */
  private static byte[] table(float[] code) {
    float[] midpoints = Nf4Linear.midpoints(code); // 0.5f · (a + b) in the kernel: the same float32
    byte[] table = new byte[BINS];
    int index = 0;
    for (int bin = 0; bin < BINS; bin++) {
      float start = -1f + (2f * bin) / (BINS - 1);
      while (index < midpoints.length && midpoints[index] < start) {
        index++;
      }
      table[bin] = (byte) index;
    }
    return table;
  }
}
