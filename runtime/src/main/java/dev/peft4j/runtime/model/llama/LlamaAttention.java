package dev.peft4j.runtime.model.llama;

import ai.djl.ndarray.NDArray;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.runtime.nn.Linear;
import dev.peft4j.runtime.nn.Module;
import dev.peft4j.runtime.nn.Tensors;

/** Multi-head attention with grouped key/value heads and rotary embeddings, as {@code LlamaAttention}. */
final class LlamaAttention extends Module {

  private final int heads;
  private final int kvHeads;
  private final int headDim;

  LlamaAttention(LlamaConfig c, String prefix, WeightSource weights) {
    this.heads = c.numHeads();
    this.kvHeads = c.numKvHeads();
    this.headDim = c.headDim();
    int hidden = c.hiddenSize();
    add("q_proj", LlamaForCausalLM.linear(weights, prefix + "q_proj", heads * headDim, hidden, c.attentionBias()));
    add("k_proj", LlamaForCausalLM.linear(weights, prefix + "k_proj", kvHeads * headDim, hidden, c.attentionBias()));
    add("v_proj", LlamaForCausalLM.linear(weights, prefix + "v_proj", kvHeads * headDim, hidden, c.attentionBias()));
    add("o_proj", LlamaForCausalLM.linear(weights, prefix + "o_proj", hidden, heads * headDim, c.outputProjectionBias()));
  }

  /**
   * @param x {@code [B, T, hidden]}
   * @param cos rotary cosines {@code [1, 1, T, D]}
   * @param sin rotary sines {@code [1, 1, T, D]}
   * @param mask additive mask {@code [B, 1, T, T]}
   */
  NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask) {
    long batch = x.getShape().get(0);
    long length = x.getShape().get(1);
    NDArray q = heads(linear("q_proj").forward(x), batch, length, heads);
    NDArray k = heads(linear("k_proj").forward(x), batch, length, kvHeads);
    NDArray v = heads(linear("v_proj").forward(x), batch, length, kvHeads);
    q = RotaryEmbedding.apply(q, cos, sin);
    k = RotaryEmbedding.apply(k, cos, sin);
    k = repeatKv(k, batch, length);
    v = repeatKv(v, batch, length);
    NDArray scale = Tensors.scalar(x.getManager(), 1.0f / (float) Math.sqrt(headDim));
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale).add(mask);
    NDArray attended = scores.softmax(-1).matMul(v);
    NDArray merged = attended.transpose(0, 2, 1, 3).reshape(batch, length, (long) heads * headDim);
    return linear("o_proj").forward(merged);
  }

  private LinearLayer linear(String name) {
    return (LinearLayer) child(name);
  }

  private NDArray heads(NDArray projected, long batch, long length, int count) {
    return projected.reshape(batch, length, count, headDim).transpose(0, 2, 1, 3);
  }

  /** Each key/value head serves {@code heads / kvHeads} query heads, as transformers' {@code repeat_kv}. */
  private NDArray repeatKv(NDArray kv, long batch, long length) {
    int groups = heads / kvHeads;
    if (groups == 1) {
      return kv;
    }
    return kv.expandDims(2).broadcast(batch, kvHeads, groups, length, headDim).reshape(batch, heads, length, headDim);
  }
}
