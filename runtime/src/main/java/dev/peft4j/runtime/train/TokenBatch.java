package dev.peft4j.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * A padded batch: {@code inputIds}, {@code labels} ({@link CausalLmLoss#IGNORE} where a position does
 * not count) and {@code attentionMask} (1 real, 0 padding), each {@code [B, T]}.
 */
public record TokenBatch(int[][] inputIds, int[][] labels, int[][] attentionMask) {

  public int size() {
    return inputIds.length;
  }

  /** Real (not padding) tokens. */
  public long tokens() {
    long n = 0;
    for (int[] row : attentionMask) {
      for (int m : row) {
        n += m;
      }
    }
    return n;
  }

  public NDArray inputIds(NDManager manager) {
    return longs(manager, inputIds);
  }

  public NDArray labels(NDManager manager) {
    return longs(manager, labels);
  }

  private static NDArray longs(NDManager manager, int[][] rows) {
    int length = rows[0].length;
    long[] flat = new long[rows.length * length];
    for (int b = 0; b < rows.length; b++) {
      for (int t = 0; t < length; t++) {
        flat[b * length + t] = rows[b][t];
      }
    }
    return manager.create(flat, new Shape(rows.length, length));
  }
}
