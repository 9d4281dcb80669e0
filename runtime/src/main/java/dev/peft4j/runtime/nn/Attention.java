package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Causal self-attention of one batch through libtorch's {@code scaled_dot_product_attention}, which never holds
 * the {@code batch × heads × length²} scores. Without padding or window (or with none given) it is the kernel's
 * causal mode; otherwise a boolean mask {@code [B, 1, T, S]} lets query i see key j when j ≤ i, j is a real token
 * and, with a sliding window w, j > i − w, as transformers' causal and sliding-window masks do (i and j count
 * places in the padded sequence, as transformers' cache positions do). The T queries may be the last of S keys: a
 * decoding step whose earlier keys come from a cache. A query that would see nothing (a padded position before
 * every real token, as with left padding) sees itself, so that no row is all masked: its output is then finite,
 * and unused.
 */
public final class Attention {

  /** Null for plain causal attention. */
  private final NDArray allowed;
  private final NDArray scale;
  /** Gemma 2's soft-cap on the scores; null for none. */
  private final NDArray softcap;

  private Attention(NDArray allowed, NDArray scale, NDArray softcap) {
    this.allowed = allowed;
    this.scale = scale;
    this.softcap = softcap;
  }

  /**
   * @param attentionMask {@code [B][T]}, 1 for a real token and 0 for padding; null when there is none
   * @param scale the factor on the scores, usually {@code 1/√head_dim}
   */
  public static Attention of(NDManager manager, int[][] attentionMask, int length, float scale) {
    return of(manager, attentionMask, length, length, 0, scale);
  }

  /**
   * The last {@code queries} of {@code keys} places attending to every place up to their own.
   *
   * @param keyMask {@code [B][keys]}, 1 for a real token and 0 for padding; null when there is none
   * @param window a sliding window (a query sees its own place and the {@code window − 1} before it); 0 for none
   */
  public static Attention of(NDManager manager, int[][] keyMask, int queries, int keys, int window, float scale) {
    return of(manager, keyMask, queries, keys, window, scale, 0);
  }

  /**
   * As {@link #of(NDManager, int[][], int, int, int, float)}, with the scores soft-capped as Gemma 2 caps them
   * ({@code tanh(s / softcap) · softcap}) when {@code softcap} is positive: eager attention, not the fused kernel.
   */
  public static Attention of(NDManager manager, int[][] keyMask, int queries, int keys, int window, float scale,
      float softcap) {
    if (queries < 1 || queries > keys || window < 0 || !(softcap >= 0)) {
      throw new IllegalArgumentException("attention of " + queries + " queries over " + keys + " keys, window "
          + window + ", soft-cap " + softcap + ": needs 1 ≤ queries ≤ keys, a window ≥ 0 and a soft-cap ≥ 0");
    }
    NDArray scaleArray = Tensors.scalar(manager, scale);
    NDArray cap = softcap > 0 ? Tensors.scalar(manager, softcap) : null;
    boolean windowed = window > 0 && window < keys;
    if (cap == null && queries == keys && !windowed && (keyMask == null || !padded(keyMask))) {
      return new Attention(null, scaleArray, null);
    }
    int batch = keyMask == null ? 1 : keyMask.length;
    int past = keys - queries;
    boolean[] allowed = new boolean[batch * queries * keys];
    for (int b = 0; b < batch; b++) {
      for (int q = 0; q < queries; q++) {
        int i = past + q;
        int first = windowed ? Math.max(0, i - window + 1) : 0;
        boolean any = false;
        for (int j = first; j <= i; j++) {
          boolean visible = keyMask == null || keyMask[b][j] != 0;
          allowed[(b * queries + q) * keys + j] = visible;
          any |= visible;
        }
        if (!any) {
          allowed[(b * queries + q) * keys + i] = true;
        }
      }
    }
    return new Attention(Tensors.owned(manager.create(allowed, new Shape(batch, 1, queries, keys))), scaleArray, cap);
  }

  private static boolean padded(int[][] attentionMask) {
    for (int[] row : attentionMask) {
      for (int value : row) {
        if (value == 0) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Attention of {@code [B, H, T, D]} queries over {@code [B, K, S, D]} keys and values (K divides H), in their
   * dtype; S is T but when the queries are the last T of S places (a decoding step).
   */
  public NDArray apply(NDArray q, NDArray k, NDArray v) {
    if (softcap != null) {
      return TorchOps.get().softcappedAttention(q, k, v, allowed, scale, softcap);
    }
    return allowed == null ? TorchOps.get().causalAttention(q, k, v, scale)
        : TorchOps.get().maskedAttention(q, k, v, allowed, scale);
  }
}
