package dev.peft4j.runtime.model.llama;

import ai.djl.ndarray.NDArray;
import dev.peft4j.runtime.model.WeightSource;
import dev.peft4j.runtime.nn.Attention;
import dev.peft4j.runtime.nn.Module;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.RmsNorm;

/** One decoder layer: pre-norm attention and pre-norm MLP, each with a residual connection. */
final class LlamaDecoderLayer extends Module {

  LlamaDecoderLayer(LlamaConfig c, String prefix, WeightSource weights, Precision precision) {
    add("self_attn", new LlamaAttention(c, prefix + "self_attn.", weights, precision));
    add("mlp", new LlamaMlp(c, prefix + "mlp.", weights, precision));
    add("input_layernorm",
        new RmsNorm(weights.get(prefix + "input_layernorm.weight", c.hiddenSize()), c.rmsNormEps(), precision));
    add("post_attention_layernorm",
        new RmsNorm(weights.get(prefix + "post_attention_layernorm.weight", c.hiddenSize()), c.rmsNormEps(), precision));
  }

  /** See {@link LlamaAttention#forward}. */
  NDArray forward(NDArray x, NDArray cos, NDArray sin, Attention attention, KeyValueCache cache) {
    NDArray attended = ((LlamaAttention) child("self_attn"))
        .forward(((RmsNorm) child("input_layernorm")).forward(x), cos, sin, attention, cache);
    NDArray h = x.add(attended);
    return h.add(((LlamaMlp) child("mlp")).forward(((RmsNorm) child("post_attention_layernorm")).forward(h)));
  }
}
