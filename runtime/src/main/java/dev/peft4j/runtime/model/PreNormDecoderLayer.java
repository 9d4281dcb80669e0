package dev.peft4j.runtime.model;

import ai.djl.ndarray.NDArray;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.runtime.nn.Attention;
import dev.peft4j.runtime.nn.FrozenProduct;
import dev.peft4j.runtime.nn.KeyValueCache;
import dev.peft4j.runtime.nn.Module;
import dev.peft4j.runtime.nn.RmsNorm;
import dev.peft4j.runtime.plan.Workload;

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

  /** A family's feed-forward block, which ends in a product ({@code down_proj}). */
  public interface FeedForward {
    /** What the block's last product takes. */
    NDArray beforeLastProduct(NDArray x);

    /** The block's last product. */
    LinearLayer lastProduct();

    default NDArray forward(NDArray x) {
      return lastProduct().forward(beforeLastProduct(x));
    }
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
    NDArray h = attended(x, cos, sin, attention, cache);
    return h.add(((FeedForward) child("mlp")).forward(((RmsNorm) child("post_attention_layernorm")).forward(h)));
  }

  /** Without the feed-forward block's last product when that is a frozen {@link FrozenProduct} ({@link Recomputed}). */
  @Override
  public Recomputed recompute(NDArray x, NDArray cos, NDArray sin, Attention attention, KeyValueCache cache) {
    NDArray h = attended(x, cos, sin, attention, cache);
    FeedForward mlp = (FeedForward) child("mlp");
    NDArray tail = mlp.beforeLastProduct(((RmsNorm) child("post_attention_layernorm")).forward(h));
    LinearLayer last = mlp.lastProduct();
    if (last instanceof FrozenProduct product && product.frozen()) {
      return new Recomputed(h, tail, product);
    }
    return Recomputed.whole(h.add(last.forward(tail)));
  }

  /** The residual stream after self-attention: {@code x + attention(norm(x))}. */
  private NDArray attended(NDArray x, NDArray cos, NDArray sin, Attention attention, KeyValueCache cache) {
    return x.add(((SelfAttention) child("self_attn"))
        .forward(((RmsNorm) child("input_layernorm")).forward(x), cos, sin, attention, cache));
  }

  /** The bytes an fp32 value takes: what the float32 parts of an activation take whatever the precision. */
  private static final long FLOAT32 = 4;

  /**
   * What autograd saves in one such layer with a SwiGLU feed-forward for one micro-batch of {@code work}, when the
   * layer's own weights train ({@code trained}) or not. With c bytes a value of the compute dtype, T tokens, hidden h,
   * intermediate i, H query and K key/value heads of size d, q = H·d, k = K·d, as measured with transformers'
   * saved-tensor hooks on a Llama layer: the float32 input each RMSNorm squares (in fp32 the first norm's is the
   * layer's input, kept anyway); scaled_dot_product_attention's queries and output and its keys and values repeated
   * to H heads (K's when K = H), and its float32 log-sum-exp per head and token; SwiGLU's gate, up and silu(gate)
   * (3·c·T·i); and one more hidden-sized tensor the hooks show. When the layer's own weights train, also the inputs of
   * its products (the norms' outputs, the merged heads, the MLP's product) and the norms' normalised values.
   */
  public static long savedBytes(ModelConfig config, Workload work, boolean trained) {
    long c = work.precision().storedBytes();
    long t = work.tokens();
    long h = config.hiddenSize();
    long i = config.intermediateSize();
    long q = (long) config.numHeads() * config.headDim();
    long k = (long) config.numKvHeads() * config.headDim();
    boolean bf16 = c != FLOAT32;
    long norms = (bf16 ? 2 : 1) * FLOAT32 * t * h;
    long repeated = config.numKvHeads() < config.numHeads() ? q : k;
    long attention = 2 * c * t * q + 2 * c * t * repeated + FLOAT32 * t * config.numHeads();
    long mlp = 3 * c * t * i;
    long unexplained = c * t * h;
    long frozen = norms + attention + mlp + unexplained;
    if (!trained) {
      return frozen;
    }
    return frozen + 2 * c * t * h + c * t * q + c * t * i + 2 * c * t * h;
  }
}
