package dev.peft4j.runtime.model;

import ai.djl.ndarray.NDArray;
import dev.peft4j.runtime.nn.Attention;
import dev.peft4j.runtime.nn.KeyValueCache;
import dev.peft4j.runtime.nn.Module;
import dev.peft4j.runtime.nn.RmsNorm;

/**
 * A decoder layer as Llama's and the families transformers derives from it (Mistral, Qwen2/3, Phi-3): RMS-normed
 * self-attention and RMS-normed feed-forward, each with a residual connection. Its children are named as in
 * transformers: {@code self_attn}, {@code mlp}, {@code input_layernorm}, {@code post_attention_layernorm}.
 */
public final class PreNormDecoderLayer extends DecoderLayer {

  /** A family's self-attention block: see {@link DecoderLayer#forward}. */
  public interface SelfAttention {
    NDArray forward(NDArray x, NDArray cos, NDArray sin, Attention attention, KeyValueCache cache);
  }

  /** A family's feed-forward block. */
  public interface FeedForward {
    NDArray forward(NDArray x);
  }

  public <A extends Module & SelfAttention, F extends Module & FeedForward> PreNormDecoderLayer(A attention, F mlp,
      RmsNorm inputNorm, RmsNorm postAttentionNorm) {
    add("self_attn", attention);
    add("mlp", mlp);
    add("input_layernorm", inputNorm);
    add("post_attention_layernorm", postAttentionNorm);
  }

  @Override
  public NDArray forward(NDArray x, NDArray cos, NDArray sin, Attention attention, KeyValueCache cache) {
    NDArray attended = ((SelfAttention) child("self_attn"))
        .forward(((RmsNorm) child("input_layernorm")).forward(x), cos, sin, attention, cache);
    NDArray h = x.add(attended);
    return h.add(((FeedForward) child("mlp")).forward(((RmsNorm) child("post_attention_layernorm")).forward(h)));
  }
}
