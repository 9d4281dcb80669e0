package dev.peft4j.runtime.model.phi3;

import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.runtime.model.DecoderModel;
import dev.peft4j.runtime.model.PreNormDecoderLayer;
import dev.peft4j.runtime.model.WeightSource;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.RmsNorm;
import dev.peft4j.runtime.nn.RotaryEmbedding;

/** A Phi-3 causal language model: {@link DecoderModel}'s pre-norm layers with {@link Phi3Attention} and {@link Phi3Mlp}. */
final class Phi3ForCausalLM extends DecoderModel {

  Phi3ForCausalLM(Phi3Config config, WeightSource weights, Precision precision) {
    super(config, precision, weights, config.rmsNormEps(), new RotaryEmbedding(config.headDim(), config.ropeTheta()),
        config.slidingWindow(), i -> layer(config, "model.layers." + i + ".", weights, precision));
  }

  private static PreNormDecoderLayer layer(Phi3Config c, String prefix, WeightSource weights, Precision precision) {
    return new PreNormDecoderLayer(new Phi3Attention(c, prefix + "self_attn.", weights, precision),
        new Phi3Mlp(c, prefix + "mlp.", weights, precision),
        new RmsNorm(weights.get(prefix + "input_layernorm.weight", c.hiddenSize()), c.rmsNormEps(), precision),
        new RmsNorm(weights.get(prefix + "post_attention_layernorm.weight", c.hiddenSize()), c.rmsNormEps(), precision));
  }

  @Override
  public Phi3Config config() {
    return (Phi3Config) super.config();
  }

  @Override
  public ModelInfo info() {
    return Phi3Family.info(java.util.OptionalInt.of(config().numLayers()), config().tieWordEmbeddings());
  }
}
