package dev.peft4j.runtime.model;

import ai.djl.ndarray.NDArray;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.runtime.nn.Attention;
import dev.peft4j.runtime.nn.KeyValueCache;
import dev.peft4j.runtime.nn.Module;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.RmsNorm;
import dev.peft4j.runtime.nn.TorchOps;

/**
 * Multi-head attention with grouped key/value heads and rotary embeddings, as transformers' {@code LlamaAttention}
 * and the attention of the families derived from it: separate {@code q_proj}, {@code k_proj}, {@code v_proj} and
 * {@code o_proj}, optionally with biases, and optionally (Qwen3) queries and keys RMS-normalised over each head
 * before the rotation ({@code q_norm}, {@code k_norm}). What the scores are (scale, window, soft-cap, fused kernel or
 * not) is the {@link Attention} it is given.
 */
public final class GroupedQueryAttention extends Module implements PreNormDecoderLayer.SelfAttention {

  private final int heads;
  private final int kvHeads;
  private final int headDim;
  private final boolean qkNorm;

  /**
   * @param qkvBias q/k/v projections have biases
   * @param outputBias o_proj has a bias
   * @param qkNormEps the epsilon of Qwen3's per-head q/k norms; NaN for none
   */
  public GroupedQueryAttention(String prefix, WeightSource weights, Precision precision, int hidden, int heads,
      int kvHeads, int headDim, boolean qkvBias, boolean outputBias, double qkNormEps) {
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.headDim = headDim;
    this.qkNorm = !Double.isNaN(qkNormEps);
    add("q_proj", DecoderModel.linear(weights, prefix + "q_proj", heads * headDim, hidden, qkvBias, precision));
    add("k_proj", DecoderModel.linear(weights, prefix + "k_proj", kvHeads * headDim, hidden, qkvBias, precision));
    add("v_proj", DecoderModel.linear(weights, prefix + "v_proj", kvHeads * headDim, hidden, qkvBias, precision));
    add("o_proj", DecoderModel.linear(weights, prefix + "o_proj", hidden, heads * headDim, outputBias, precision));
    if (qkNorm) {
      add("q_norm", new RmsNorm(weights.get(prefix + "q_norm.weight", headDim), qkNormEps, precision));
      add("k_norm", new RmsNorm(weights.get(prefix + "k_norm.weight", headDim), qkNormEps, precision));
    }
  }

  /**
   * @param x {@code [B, T, hidden]}
   * @param cos rotary cosines {@code [1 or B, 1, T, D]}, float32
   * @param sin rotary sines {@code [1 or B, 1, T, D]}, float32
   * @param attention which keys each query may see
   * @param cache the keys and values of the places before x, which x's are appended to; null without a cache
   */
  @Override
  public NDArray forward(NDArray x, NDArray cos, NDArray sin, Attention attention, KeyValueCache cache) {
    long batch = x.getShape().get(0);
    long length = x.getShape().get(1);
    NDArray q = heads(linear("q_proj").forward(x), batch, length, heads, "q_norm");
    NDArray k = heads(linear("k_proj").forward(x), batch, length, kvHeads, "k_norm");
    NDArray v = heads(linear("v_proj").forward(x), batch, length, kvHeads, null);
    return linear("o_proj").forward(attend(q, k, v, cos, sin, attention, cache));
  }

  /**
   * The attention of {@code [B, H, T, D]} queries over {@code [B, K, T, D]} keys and values: queries and keys rotated,
   * keys and values appended to {@code cache} (when there is one), the heads merged back, {@code [B, T, H·D]}. What
   * a family's attention block does once it has its projections.
   */
  public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray cos, NDArray sin, Attention attention,
      KeyValueCache cache) {
    NDArray[] rotated = TorchOps.get().rope(q, k, cos, sin);
    NDArray[] keysValues = cache == null ? new NDArray[] {rotated[1], v} : cache.append(rotated[1], v);
    NDArray attended = attention.apply(rotated[0], keysValues[0], keysValues[1]);
    long[] shape = q.getShape().getShape();
    return attended.transpose(0, 2, 1, 3).reshape(shape[0], shape[2], shape[1] * shape[3]);
  }

  /** {@code [B, T, count·headDim]} as {@code [B, count, T, headDim]}. */
  public static NDArray splitHeads(NDArray projected, int count, int headDim) {
    long[] shape = projected.getShape().getShape();
    return projected.reshape(shape[0], shape[1], count, headDim).transpose(0, 2, 1, 3);
  }

  private LinearLayer linear(String name) {
    return (LinearLayer) child(name);
  }

  /** {@code [B, T, count·D]} as {@code [B, count, T, D]}, normalised over D by the child {@code norm} when it has one. */
  private NDArray heads(NDArray projected, long batch, long length, int count, String norm) {
    NDArray split = projected.reshape(batch, length, count, headDim);
    if (qkNorm && norm != null) {
      split = ((RmsNorm) child(norm)).forward(split);
    }
    return split.transpose(0, 2, 1, 3);
  }
}
