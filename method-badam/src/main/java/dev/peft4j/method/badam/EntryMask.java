package dev.peft4j.method.badam;

import dev.peft4j.method.badam.BadamSettings.MaskMode;
import java.util.Arrays;

/**
 * Which entries of a tensor ratio mode updates in a switch window: {@code k = (long) (n × update-ratio)}
 * of its {@code n} entries (flat, row-major indices, as the reference's masks), starting at offset
 * {@code (window × k) mod n}, so that the range moves by {@code k} at every switch and wraps around.
 * {@code adjacent} takes those positions themselves; {@code scatter} takes them in a seeded random
 * permutation of the tensor's entries, so each pass of windows visits every entry once. Tensors under
 * {@link #WHOLE_BELOW} entries, and any with a ratio of 1, update whole.
 */
final class EntryMask {

  /** The reference's {@code preserve_threshold}. */
  static final long WHOLE_BELOW = 100;

  private EntryMask() {}

  static boolean whole(long n, double ratio) {
    return n < WHOLE_BELOW || ratio >= 1.0;
  }

  /** Entries updated per window. */
  static long count(long n, double ratio) {
    return whole(n, ratio) ? n : (long) (n * ratio);
  }

  static long offset(long n, double ratio, long window) {
    return whole(n, ratio) ? 0 : Math.floorMod(window * count(n, ratio), n);
  }

  /** The sorted flat indices of the window's entries ({@code count} of them). */
  static long[] indices(long n, double ratio, long window, MaskMode mode, long seed) {
    long k = count(n, ratio);
    long offset = offset(n, ratio, window);
    if (k > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a mask of " + k + " entries is too large");
    }
    long[] indices = new long[(int) k];
    EntryPermutation permutation = mode == MaskMode.SCATTER ? new EntryPermutation(n, seed) : null;
    for (int i = 0; i < k; i++) {
      long position = (offset + i) % n;
      indices[i] = permutation == null ? position : permutation.at(position);
    }
    Arrays.sort(indices);
    return indices;
  }

  /**
   * A seeded permutation of {@code 0..n-1} computed entry by entry, without an array of {@code n}: a
   * four-round Feistel network on the smallest even number of bits that holds {@code n - 1}, walked
   * again while it lands outside the range (fewer than four rounds on average).
   */
  static final class EntryPermutation {

    private final long n;
    private final int halfBits;
    private final long halfMask;
    private final long[] keys = new long[4];

    EntryPermutation(long n, long seed) {
      this.n = n;
      int bits = Math.max(2, 64 - Long.numberOfLeadingZeros(Math.max(1, n - 1)));
      bits += bits % 2;
      this.halfBits = bits / 2;
      this.halfMask = (1L << halfBits) - 1;
      for (int i = 0; i < keys.length; i++) {
        keys[i] = Seeds.derive(seed, Seeds.SCATTER, i);
      }
    }

    long at(long position) {
      long x = position;
      do {
        x = round(x);
      } while (x >= n);
      return x;
    }

    private long round(long x) {
      long left = x >>> halfBits;
      long right = x & halfMask;
      for (long key : keys) {
        long next = left ^ (Seeds.mix(right ^ key) & halfMask);
        left = right;
        right = next;
      }
      return (left << halfBits) | right;
    }
  }
}
