package dev.peft4j.runtime.model.gemma2;

import ai.djl.ndarray.NDArray;
import dev.peft4j.runtime.model.DecoderLayer;
import dev.peft4j.runtime.model.GroupedQueryAttention;
import dev.peft4j.runtime.model.WeightSource;
import dev.peft4j.runtime.nn.Attention;
import dev.peft4j.runtime.nn.KeyValueCache;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.RmsNorm;

/**
 * {@code Gemma2DecoderLayer}: attention between {@code input_layernorm} and {@code post_attention_layernorm}, the MLP
 * between {@code pre_feedforward_layernorm} and {@code post_feedforward_layernorm}, each with a residual connection;
 * every norm is Gemma's {@code (1 + w)} RMSNorm.
 */
final class Gemma2DecoderLayer extends DecoderLayer {

  Gemma2DecoderLayer(Gemma2Config c, String prefix, WeightSource weights, Precision precision) {
    add("self_attn", new GroupedQueryAttention(prefix + "self_attn.", weights, precision, c.hiddenSize(), c.numHeads(),
        c.numKvHeads(), c.headDim(), c.attentionBias(), c.attentionBias(), Double.NaN));
    add("mlp", new Gemma2Mlp(c, prefix + "mlp.", weights, precision));
    for (String norm : Gemma2Family.NORMS) {
      add(norm, RmsNorm.gemma(weights.get(prefix + norm + ".weight", c.hiddenSize()), c.rmsNormEps(), precision));
    }
  }

  @Override
  public NDArray forward(NDArray x, NDArray cos, NDArray sin, Attention attention, KeyValueCache cache) {
    NDArray attended = ((GroupedQueryAttention) child("self_attn")).forward(norm("input_layernorm", x), cos, sin,
        attention, cache);
    NDArray h = x.add(norm("post_attention_layernorm", attended));
    NDArray fed = ((Gemma2Mlp) child("mlp")).forward(norm("pre_feedforward_layernorm", h));
    return h.add(norm("post_feedforward_layernorm", fed));
  }

  private NDArray norm(String name, NDArray x) {
    return ((RmsNorm) child(name)).forward(x);
  }
}
