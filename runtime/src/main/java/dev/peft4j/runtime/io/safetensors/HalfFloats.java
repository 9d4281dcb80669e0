package dev.peft4j.runtime.io.safetensors;

/**
 * Bit conversions between float32 and the 16-bit floats of checkpoints: IEEE binary16 ("F16", "half") and
 * bfloat16 ("BF16", the top half of a float32). Decoding is exact; encoding rounds to nearest, ties to even,
 * like PyTorch's {@code tensor.to(torch.float16 / torch.bfloat16)}. NaN stays NaN (quiet), infinities and
 * signed zeros are kept, float32 values beyond the half range become infinities.
 *
 * <p>All bf16 arithmetic of peft4j happens here, in Java: DJL aborts the JVM on most {@code BFLOAT16} calls.
 */
public final class HalfFloats {

  private HalfFloats() {}

  /** The float32 value of a bfloat16 bit pattern (exact). */
  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  /** The bfloat16 nearest to {@code value}, ties to even. */
  public static short floatToBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if ((bits & 0x7fffffff) > 0x7f800000) { // NaN: truncate, and keep it a (quiet) NaN
      return (short) ((bits >>> 16) | 0x0040);
    }
    int roundingBias = 0x7fff + ((bits >>> 16) & 1);
    return (short) ((bits + roundingBias) >>> 16);
  }

  /** The float32 value of an IEEE binary16 bit pattern (exact, subnormals included). */
  public static float f16ToFloat(short bits) {
    int sign = (bits & 0x8000) << 16;
    int exponent = (bits >>> 10) & 0x1f;
    int mantissa = bits & 0x3ff;
    if (exponent == 0) { // zero or subnormal: mantissa × 2^-24, exact in float32
      float magnitude = mantissa * 0x1p-24f;
      return sign == 0 ? magnitude : -magnitude;
    }
    if (exponent == 0x1f) { // infinity or NaN (payload kept)
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  }

  /** The IEEE binary16 nearest to {@code value}, ties to even; beyond ±65504 (rounded) it is ±infinity. */
  public static short floatToF16(float value) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int abs = bits & 0x7fffffff;
    if (abs >= 0x7f800000) { // infinity, or NaN made quiet with the top bits of its payload
      return (short) (abs == 0x7f800000 ? sign | 0x7c00 : sign | 0x7e00 | ((abs >>> 13) & 0x3ff));
    }
    if (abs >= 0x477ff000) { // 65520 and above round to infinity
      return (short) (sign | 0x7c00);
    }
    if (abs <= 0x33000000) { // 2^-25 and below round to zero (2^-25 is a tie, and zero is even)
      return (short) sign;
    }
    int exponent = abs >>> 23;
    if (exponent < 113) { // below 2^-14: a subnormal half, in units of 2^-24
      int mantissa = (abs & 0x7fffff) | 0x800000;
      int shift = 126 - exponent;
      return (short) (sign | roundShift(mantissa, shift));
    }
    int half = ((exponent - 112) << 10) | ((abs >>> 13) & 0x3ff);
    int rest = abs & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
      half++; // a carry into the exponent is the right answer
    }
    return (short) (sign | half);
  }

  /** {@code value >> shift}, rounded to nearest, ties to even. */
  private static int roundShift(int value, int shift) {
    int result = value >>> shift;
    int rest = value & ((1 << shift) - 1);
    int halfway = 1 << (shift - 1);
    if (rest > halfway || (rest == halfway && (result & 1) == 1)) {
      result++;
    }
    return result;
  }
}
