package dev.peft4j.runtime.model.gemma2;

import ai.djl.ndarray.NDArray;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.runtime.model.DecoderModel;
import dev.peft4j.runtime.model.WeightSource;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.RmsNorm;
import dev.peft4j.runtime.nn.RotaryEmbedding;
import dev.peft4j.runtime.nn.Tensors;
import dev.peft4j.runtime.nn.TorchOps;
import java.util.OptionalInt;

/**
 * A Gemma 2 causal language model: {@link DecoderModel} with {@link Gemma2DecoderLayer}s, embeddings times √hidden
 * (rounded to the compute dtype, as transformers' normalizer), the scores scaled by {@code query_pre_attn_scalar^-½}
 * and soft-capped, and the logits soft-capped.
 */
final class Gemma2ForCausalLM extends DecoderModel {

  Gemma2ForCausalLM(Gemma2Config config, WeightSource weights, Precision precision) {
    super(config, precision, weights,
        name -> RmsNorm.gemma(weights.get(name, config.hiddenSize()), config.rmsNormEps(), precision),
        new RotaryEmbedding(config.headDim(), config.ropeTheta()), config.windows(),
        i -> new Gemma2DecoderLayer(config, "model.layers." + i + ".", weights, precision));
  }

  @Override
  public Gemma2Config config() {
    return (Gemma2Config) super.config();
  }

  @Override
  public ModelInfo info() {
    return Gemma2Family.info(OptionalInt.of(config().numLayers()), config().tieWordEmbeddings());
  }

  @Override
  protected float attentionScale() {
    return (float) (1 / Math.sqrt(config().queryPreAttnScalar()));
  }

  @Override
  protected float attentionSoftcap() {
    return (float) config().attentionSoftcap();
  }

  @Override
  protected NDArray scaleEmbeddings(NDArray embeddings) {
    return TorchOps.get().scaleBy(embeddings,
        Tensors.scalar(embeddings.getManager(), (float) Math.sqrt(config().hiddenSize())));
  }

  @Override
  protected NDArray capLogits(NDArray logits) {
    double cap = config().finalSoftcap();
    return cap > 0 ? TorchOps.get().softcap(logits, Tensors.scalar(logits.getManager(), (float) cap)) : logits;
  }
}
