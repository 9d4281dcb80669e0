package dev.peft4j.runtime.model.phi3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.runtime.model.DecoderModel;
import dev.peft4j.runtime.model.GroupedQueryAttention;
import dev.peft4j.runtime.model.PreNormDecoderLayer;
import dev.peft4j.runtime.model.WeightSource;
import dev.peft4j.runtime.nn.Attention;
import dev.peft4j.runtime.nn.KeyValueCache;
import dev.peft4j.runtime.nn.Module;
import dev.peft4j.runtime.nn.Precision;

/**
 * {@code Phi3Attention}: one fused projection {@code qkv_proj} whose output is the queries, then the keys, then the
 * values, split as transformers splits it; rotary embeddings over the whole head; grouped key/value heads; no biases.
 * An adapter on {@code qkv_proj} is one adapter over the fused weight, as PEFT wraps it.
 */
final class Phi3Attention extends Module implements PreNormDecoderLayer.SelfAttention {

  private final int heads;
  private final int kvHeads;
  private final int headDim;

  Phi3Attention(Phi3Config c, String prefix, WeightSource weights, Precision precision) {
    this.heads = c.numHeads();
    this.kvHeads = c.numKvHeads();
    this.headDim = c.headDim();
    int hidden = c.hiddenSize();
    // transformers' order: o_proj is made first
    add("o_proj", DecoderModel.linear(weights, prefix + "o_proj", hidden, heads * headDim, false, precision));
    add("qkv_proj", DecoderModel.linear(weights, prefix + "qkv_proj", (heads + 2 * kvHeads) * headDim, hidden, false,
        precision));
  }

  @Override
  public NDArray forward(NDArray x, NDArray cos, NDArray sin, Attention attention, KeyValueCache cache) {
    long queries = (long) heads * headDim;
    NDList qkv = ((LinearLayer) child("qkv_proj")).forward(x).split(new long[] {queries, queries + (long) kvHeads * headDim}, 2);
    NDArray attended = GroupedQueryAttention.attend(GroupedQueryAttention.splitHeads(qkv.get(0), heads, headDim),
        GroupedQueryAttention.splitHeads(qkv.get(1), kvHeads, headDim),
        GroupedQueryAttention.splitHeads(qkv.get(2), kvHeads, headDim), cos, sin, attention, cache);
    return ((LinearLayer) child("o_proj")).forward(attended);
  }
}
