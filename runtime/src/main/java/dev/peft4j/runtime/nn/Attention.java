package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Causal self-attention of one batch through libtorch's {@code scaled_dot_product_attention}, which never holds
 * the {@code batch × heads × length²} scores. Without padding (or with none given) it is the kernel's causal mode;
 * with padding, a boolean mask {@code [B, 1, T, T]} lets query i see key j when j ≤ i and j is a real token, as
 * transformers' causal mask does. A query that would see nothing (a padded position before every real token, as
 * with left padding) sees itself, so that no row is all masked: its output is then finite, and unused.
 */
public final class Attention {

  /** Null for plain causal attention. */
  private final NDArray allowed;
  private final NDArray scale;

  private Attention(NDArray allowed, NDArray scale) {
    this.allowed = allowed;
    this.scale = scale;
  }

  /**
   * @param attentionMask {@code [B][T]}, 1 for a real token and 0 for padding; null when there is none
   * @param scale the factor on the scores, usually {@code 1/√head_dim}
   */
  public static Attention of(NDManager manager, int[][] attentionMask, int length, float scale) {
    NDArray scaleArray = Tensors.scalar(manager, scale);
    if (attentionMask == null || !padded(attentionMask)) {
      return new Attention(null, scaleArray);
    }
    int batch = attentionMask.length;
    boolean[] allowed = new boolean[batch * length * length];
    for (int b = 0; b < batch; b++) {
      for (int i = 0; i < length; i++) {
        boolean any = false;
        for (int j = 0; j <= i; j++) {
          boolean visible = attentionMask[b][j] != 0;
          allowed[(b * length + i) * length + j] = visible;
          any |= visible;
        }
        if (!any) {
          allowed[(b * length + i) * length + i] = true;
        }
      }
    }
    return new Attention(Tensors.owned(manager.create(allowed, new Shape(batch, 1, length, length))), scaleArray);
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

  /** Attention of {@code [B, H, T, D]} queries over {@code [B, K, T, D]} keys and values (K divides H), in their dtype. */
  public NDArray apply(NDArray q, NDArray k, NDArray v) {
    return allowed == null ? TorchOps.get().causalAttention(q, k, v, scale)
        : TorchOps.get().maskedAttention(q, k, v, allowed, scale);
  }
}
