package dev.peft4j.runtime.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every F16 and BF16 bit pattern against references computed another way (arithmetic in double), and the
 * rounding float32 → F16 / BF16 at and around every tie.
 */
class HalfFloatsTest {

  /** binary16 by its definition: (-1)^s × 2^(e-15) × 1.m, or 2^-14 × 0.m when e = 0. */
  private static double f16Reference(int bits) {
    int sign = (bits >> 15) & 1;
    int exponent = (bits >> 10) & 0x1f;
    int mantissa = bits & 0x3ff;
    double magnitude;
    if (exponent == 0) {
      magnitude = mantissa * Math.pow(2, -24);
    } else if (exponent == 31) {
      magnitude = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
    } else {
      magnitude = (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
    }
    return sign == 1 ? -magnitude : magnitude;
  }

  @Test
  void everyF16BitPatternDecodesToItsValue() {
    for (int bits = 0; bits < 0x10000; bits++) {
      float actual = HalfFloats.f16ToFloat((short) bits);
      double expected = f16Reference(bits);
      if (Double.isNaN(expected)) {
        assertThat(actual).as("0x%04x", bits).isNaN();
      } else {
        assertThat(Float.floatToRawIntBits(actual)).as("0x%04x", bits).isEqualTo(Float.floatToRawIntBits((float) expected));
      }
    }
    assertThat(HalfFloats.f16ToFloat((short) 0x0001)).isEqualTo(5.9604645e-8f); // the smallest subnormal
    assertThat(HalfFloats.f16ToFloat((short) 0x03ff)).isEqualTo(6.097555e-5f);  // the largest subnormal
    assertThat(HalfFloats.f16ToFloat((short) 0x7bff)).isEqualTo(65504f);
    assertThat(HalfFloats.f16ToFloat((short) 0xfc00)).isEqualTo(Float.NEGATIVE_INFINITY);
    assertThat(Float.floatToRawIntBits(HalfFloats.f16ToFloat((short) 0x8000))).isEqualTo(0x80000000);
  }

  @Test
  void everyF16BitPatternSurvivesARoundTripThroughFloat32() {
    for (int bits = 0; bits < 0x10000; bits++) {
      short back = HalfFloats.floatToF16(HalfFloats.f16ToFloat((short) bits));
      boolean nan = ((bits >> 10) & 0x1f) == 0x1f && (bits & 0x3ff) != 0;
      if (nan) {
        assertThat(HalfFloats.f16ToFloat(back)).as("0x%04x", bits).isNaN();
      } else {
        assertThat(back & 0xffff).as("0x%04x", bits).isEqualTo(bits);
      }
    }
  }

  /** The nearest binary16 by search over all finite halves, ties to the even bit pattern: independent of the code. */
  private static final class F16Nearest {
    final double[] values = new double[0x7c00]; // all non-negative finite halves, ascending with their bits

    F16Nearest() {
      for (int bits = 0; bits < values.length; bits++) {
        values[bits] = f16Reference(bits);
      }
    }

    int of(float value) {
      int sign = Float.floatToRawIntBits(value) < 0 ? 0x8000 : 0;
      double a = Math.abs((double) value);
      if (Double.isNaN(a)) {
        throw new IllegalArgumentException("NaN");
      }
      double max = values[values.length - 1];
      if (a >= max + Math.pow(2, 4)) { // max + half an ulp (ulp = 32) and beyond: overflow
        return sign | 0x7c00;
      }
      if (a >= max) {
        return sign | (values.length - 1);
      }
      int i = Arrays.binarySearch(values, a);
      if (i >= 0) {
        return sign | i;
      }
      int hi = -i - 1;
      int lo = hi - 1;
      double dLo = a - values[lo];
      double dHi = values[hi] - a;
      int pick = dLo < dHi ? lo : dHi < dLo ? hi : ((lo & 1) == 0 ? lo : hi);
      return sign | pick;
    }
  }

  @Test
  void float32RoundsToTheNearestF16TiesToEven() {
    F16Nearest nearest = new F16Nearest();
    int checked = 0;
    // every half, every midpoint between neighbours (a tie), and the floats just around each of them
    for (int bits = 0; bits < 0x7c00; bits++) {
      float value = HalfFloats.f16ToFloat((short) bits);
      float next = bits + 1 < 0x7c00 ? HalfFloats.f16ToFloat((short) (bits + 1)) : 65536f;
      float midpoint = (float) ((value + (double) next) / 2);
      for (float f : new float[] {value, midpoint, Math.nextUp(midpoint), Math.nextDown(midpoint), Math.nextUp(value)}) {
        for (float signed : new float[] {f, -f}) {
          assertThat(HalfFloats.floatToF16(signed) & 0xffff).as("%s (0x%08x)", signed, Float.floatToRawIntBits(signed))
              .isEqualTo(nearest.of(signed));
          checked++;
        }
      }
    }
    // a million random float32 bit patterns (all exponents: overflow, subnormals, flush to zero)
    SplittableRandom random = new SplittableRandom(42);
    for (int n = 0; n < 1_000_000; n++) {
      float f = Float.intBitsToFloat(random.nextInt());
      if (!Float.isNaN(f)) {
        assertThat(HalfFloats.floatToF16(f) & 0xffff).as("0x%08x", Float.floatToRawIntBits(f)).isEqualTo(nearest.of(f));
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(1_000_000);
  }

  @Test
  void f16EdgeCases() {
    assertThat(HalfFloats.floatToF16(65519.996f)).isEqualTo((short) 0x7bff); // just below the overflow tie
    assertThat(HalfFloats.floatToF16(65520f)).isEqualTo((short) 0x7c00);     // the tie overflows (65504 is odd)
    assertThat(HalfFloats.floatToF16(0x1p-25f)).isEqualTo((short) 0);        // tie between 0 and 2^-24: 0 is even
    assertThat(HalfFloats.floatToF16(Math.nextUp(0x1p-25f))).isEqualTo((short) 1);
    assertThat(HalfFloats.floatToF16(3 * 0x1p-25f)).isEqualTo((short) 2);    // tie between 1 and 2 units: 2
    assertThat(HalfFloats.floatToF16(1 + 0x1p-11f)).isEqualTo((short) 0x3c00); // tie: 1.0 (even)
    assertThat(HalfFloats.floatToF16(1 + 3 * 0x1p-11f)).isEqualTo((short) 0x3c02);
    assertThat(HalfFloats.floatToF16(-0f)).isEqualTo((short) 0x8000);
    assertThat(HalfFloats.floatToF16(Float.POSITIVE_INFINITY)).isEqualTo((short) 0x7c00);
    assertThat(HalfFloats.f16ToFloat(HalfFloats.floatToF16(Float.NaN))).isNaN();
    assertThat(HalfFloats.f16ToFloat(HalfFloats.floatToF16(Float.intBitsToFloat(0x7f800001)))).isNaN(); // tiny payload
  }

  @Test
  void everyBf16BitPatternDecodesToTheTopHalfOfAFloat32AndRoundTrips() {
    for (int bits = 0; bits < 0x10000; bits++) {
      float value = HalfFloats.bf16ToFloat((short) bits);
      assertThat(Float.floatToRawIntBits(value)).isEqualTo(bits << 16);
      int exponent = (bits >> 7) & 0xff;
      boolean nan = exponent == 0xff && (bits & 0x7f) != 0;
      if (nan) {
        assertThat(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(value))).isNaN();
      } else {
        assertThat(HalfFloats.floatToBf16(value) & 0xffff).as("0x%04x", bits).isEqualTo(bits);
      }
    }
  }

  /** The nearest bfloat16 by comparing distances to the two neighbours in double; ties to the even one. */
  private static int bf16Nearest(float f) {
    int bits = Float.floatToRawIntBits(f);
    int lo = bits >>> 16; // toward zero
    int hi = lo + 1;      // away from zero (may be infinity)
    double a = Math.abs((double) f);
    double loValue = Math.abs((double) Float.intBitsToFloat(lo << 16));
    double hiValue = ((hi << 16) & 0x7fffffff) == 0x7f800000 ? Math.scalb(1.0, 128)
        : Math.abs((double) Float.intBitsToFloat(hi << 16));
    double dLo = a - loValue;
    double dHi = hiValue - a;
    return (dLo < dHi ? lo : dHi < dLo ? hi : ((lo & 1) == 0 ? lo : hi)) & 0xffff;
  }

  @Test
  void float32RoundsToTheNearestBf16TiesToEven() {
    for (int bits = 0; bits < 0x10000; bits++) {
      if (((bits >> 7) & 0xff) == 0xff) {
        continue; // infinities and NaNs have no neighbours to round between
      }
      for (int low : new int[] {0x8000, 0x7fff, 0x8001, 0x0001, 0xffff}) { // the tie and around it
        float f = Float.intBitsToFloat((bits << 16) | low);
        assertThat(HalfFloats.floatToBf16(f) & 0xffff).as("0x%08x", Float.floatToRawIntBits(f)).isEqualTo(bf16Nearest(f));
      }
    }
    SplittableRandom random = new SplittableRandom(7);
    for (int n = 0; n < 1_000_000; n++) {
      float f = Float.intBitsToFloat(random.nextInt());
      if (Float.isFinite(f)) {
        assertThat(HalfFloats.floatToBf16(f) & 0xffff).as("0x%08x", Float.floatToRawIntBits(f)).isEqualTo(bf16Nearest(f));
      }
    }
  }

  @Test
  void bf16EdgeCases() {
    assertThat(HalfFloats.floatToBf16(1 + 0x1p-8f)).isEqualTo((short) 0x3f80);     // tie: down to 1.0 (even)
    assertThat(HalfFloats.floatToBf16(1 + 3 * 0x1p-8f)).isEqualTo((short) 0x3f82); // tie: up to the even neighbour
    assertThat(HalfFloats.floatToBf16(Float.MAX_VALUE)).isEqualTo((short) 0x7f80);  // rounds to infinity
    assertThat(HalfFloats.floatToBf16(Float.MIN_VALUE)).isEqualTo((short) 0);       // the smallest subnormal: to zero
    assertThat(HalfFloats.floatToBf16(-0f)).isEqualTo((short) 0x8000);
    assertThat(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x7f800001)))).isNaN();
    assertThat(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.intBitsToFloat(0xffffffff)))).isNaN();
  }
}
