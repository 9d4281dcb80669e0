package dev.peft4j.runtime.model.llama;

import ai.djl.ndarray.NDArray;
import dev.peft4j.runtime.nn.Module;
import dev.peft4j.runtime.nn.RmsNorm;

/** One decoder layer: pre-norm attention and pre-norm MLP, each with a residual connection. */
final class LlamaDecoderLayer extends Module {

  LlamaDecoderLayer(LlamaConfig c, String prefix, WeightSource weights) {
    add("self_attn", new LlamaAttention(c, prefix + "self_attn.", weights));
    add("mlp", new LlamaMlp(c, prefix + "mlp.", weights));
    add("input_layernorm", new RmsNorm(weights.get(prefix + "input_layernorm.weight", c.hiddenSize()), c.rmsNormEps()));
    add("post_attention_layernorm",
        new RmsNorm(weights.get(prefix + "post_attention_layernorm.weight", c.hiddenSize()), c.rmsNormEps()));
  }

  NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask) {
    NDArray attended = ((LlamaAttention) child("self_attn"))
        .forward(((RmsNorm) child("input_layernorm")).forward(x), cos, sin, mask);
    NDArray h = x.add(attended);
    return h.add(((LlamaMlp) child("mlp")).forward(((RmsNorm) child("post_attention_layernorm")).forward(h)));
  }
}
