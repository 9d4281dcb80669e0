package dev.peft4j.runtime.model.llama;

import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.runtime.model.DecoderModel;
import dev.peft4j.runtime.model.GroupedQueryAttention;
import dev.peft4j.runtime.model.PreNormDecoderLayer;
import dev.peft4j.runtime.model.WeightSource;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.RmsNorm;
import dev.peft4j.runtime.nn.RotaryEmbedding;
import java.util.OptionalInt;

/**
 * A Llama-family causal language model (Llama 2/3, TinyLlama, Mistral, Qwen2, Qwen3): {@link DecoderModel}'s stack of
 * pre-norm layers with {@link GroupedQueryAttention} and the SwiGLU {@link LlamaMlp}.
 */
public final class LlamaForCausalLM extends DecoderModel {

  private LlamaForCausalLM(LlamaConfig config, WeightSource weights, Precision precision) {
    super(config, precision, weights, config.rmsNormEps(), rotary(config), config.slidingWindow(),
        i -> layer(config, "model.layers." + i + ".", weights, precision));
  }

  private static RotaryEmbedding rotary(LlamaConfig config) {
    RotaryEmbedding rotary = new RotaryEmbedding(config.headDim(), config.ropeTheta());
    config.ropeScaling().ifPresent(s -> rotary.scaleLikeLlama3(s.factor(), s.lowFreqFactor(), s.highFreqFactor(),
        s.originalMaxPositions()));
    return rotary;
  }

  private static PreNormDecoderLayer layer(LlamaConfig c, String prefix, WeightSource weights, Precision precision) {
    return new PreNormDecoderLayer(new GroupedQueryAttention(prefix + "self_attn.", weights, precision, c.hiddenSize(),
        c.numHeads(), c.numKvHeads(), c.headDim(), c.attentionBias(), c.outputProjectionBias(),
        c.qkNorm() ? c.rmsNormEps() : Double.NaN),
        new LlamaMlp(c, prefix + "mlp.", weights, precision),
        new RmsNorm(weights.get(prefix + "input_layernorm.weight", c.hiddenSize()), c.rmsNormEps(), precision),
        new RmsNorm(weights.get(prefix + "post_attention_layernorm.weight", c.hiddenSize()), c.rmsNormEps(), precision));
  }

  /** Builds the model with weights from {@code weights}, computing in float32. */
  public static LlamaForCausalLM create(LlamaConfig config, WeightSource weights) {
    return create(config, weights, Precision.FP32);
  }

  /** Builds the model with weights from {@code weights}, computing in {@code precision}. */
  public static LlamaForCausalLM create(LlamaConfig config, WeightSource weights, Precision precision) {
    return new LlamaForCausalLM(config, weights, precision);
  }

  @Override
  public LlamaConfig config() {
    return (LlamaConfig) super.config();
  }

  @Override
  public ModelInfo info() {
    return LlamaFamily.info(config().modelType(), OptionalInt.of(config().numLayers()), config().tieWordEmbeddings());
  }
}
