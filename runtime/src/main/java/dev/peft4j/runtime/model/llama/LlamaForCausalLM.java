package dev.peft4j.runtime.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelStages;
import dev.peft4j.runtime.model.WeightSource;
import dev.peft4j.runtime.nn.Attention;
import dev.peft4j.runtime.nn.Embedding;
import dev.peft4j.runtime.nn.Linear;
import dev.peft4j.runtime.nn.Module;
import dev.peft4j.runtime.nn.ModuleList;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.RmsNorm;
import dev.peft4j.runtime.nn.TorchOps;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Llama-family causal language model (Llama 2/3, TinyLlama, Mistral, Qwen2) with Hugging Face's
 * module names: {@code model.embed_tokens}, {@code model.layers.N.*}, {@code model.norm}, {@code
 * lm_head} (absent when the embeddings are tied).
 */
public final class LlamaForCausalLM extends Module implements CausalLm {

  private final LlamaConfig config;
  private final RotaryEmbedding rotary;
  private final Precision precision;

  private LlamaForCausalLM(LlamaConfig config, WeightSource weights, Precision precision) {
    this.config = config;
    this.precision = precision;
    this.rotary = new RotaryEmbedding(config);
    List<LlamaDecoderLayer> layers = new ArrayList<>();
    Embedding embed = new Embedding(weights.get("model.embed_tokens.weight", config.vocabSize(), config.hiddenSize()),
        precision);
    for (int i = 0; i < config.numLayers(); i++) {
      layers.add(new LlamaDecoderLayer(config, "model.layers." + i + ".", weights, precision));
    }
    add("model", new Decoder(embed, new ModuleList(layers),
        new RmsNorm(weights.get("model.norm.weight", config.hiddenSize()), config.rmsNormEps(), precision)));
    if (!config.tieWordEmbeddings()) {
      add("lm_head", linear(weights, "lm_head", config.vocabSize(), config.hiddenSize(), false, precision));
    }
  }

  /** The decoder stack, named {@code model} as in transformers. */
  private static final class Decoder extends Module {
    Decoder(Embedding embed, ModuleList layers, RmsNorm norm) {
      add("embed_tokens", embed);
      add("layers", layers);
      add("norm", norm);
    }
  }

  /** Builds the model with weights from {@code weights}, computing in float32. */
  public static LlamaForCausalLM create(LlamaConfig config, WeightSource weights) {
    return create(config, weights, Precision.FP32);
  }

  /** Builds the model with weights from {@code weights}, computing in {@code precision}. */
  public static LlamaForCausalLM create(LlamaConfig config, WeightSource weights, Precision precision) {
    return new LlamaForCausalLM(config, weights, precision);
  }

  static Linear linear(WeightSource weights, String name, int out, int in, boolean bias, Precision precision) {
    return new Linear(weights.get(name + ".weight", out, in), bias ? weights.get(name + ".bias", out) : null, precision);
  }

  @Override
  public LlamaConfig config() {
    return config;
  }

  @Override
  public Precision precision() {
    return precision;
  }

  @Override
  public Module modules() {
    return this;
  }

  @Override
  public ModelInfo info() {
    return LlamaFamily.info(config.modelType(), java.util.OptionalInt.of(config.numLayers()), config.tieWordEmbeddings());
  }

  @Override
  public java.util.OptionalInt layerOf(String name) {
    Matcher m = LAYER.matcher(name);
    return m.matches() ? java.util.OptionalInt.of(Integer.parseInt(m.group(1))) : java.util.OptionalInt.empty();
  }

  /**
   * Logits for every position.
   *
   * @param inputIds {@code [B, T]} INT64
   * @param attentionMask {@code [B, T]}, 1 for real tokens and 0 for padding; null when there is none
   * @return {@code [B, T, vocab]} FLOAT32, whatever the precision
   */
  @Override
  public NDArray forward(NDArray inputIds, int[][] attentionMask) {
    Stages stages = stages(inputIds, attentionMask);
    NDArray h = inputIds;
    for (int stage = 0; stage < stages.count(); stage++) {
      h = stages.forward(stage, h);
    }
    return TorchOps.get().toFloat32(h);
  }

  /** The forward pass over one batch cut into stages ({@link ModelStages}); {@link #forward} runs them in turn. */
  @Override
  public Stages stages(NDArray inputIds, int[][] attentionMask) {
    NDManager manager = inputIds.getManager();
    int length = (int) inputIds.getShape().get(1);
    return new Stages(rotary.cosSin(manager, length),
        Attention.of(manager, attentionMask, length, (float) (1 / Math.sqrt(config.headDim()))));
  }

  /** Stages of a forward pass: the embeddings, each decoder layer, the head ({@link ModelStages#count}). */
  @Override
  public int stageCount() {
    return config.numLayers() + 2;
  }

  private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\..*");

  @Override
  public int stageOf(String parameterName) {
    Matcher layer = LAYER.matcher(parameterName);
    if (layer.matches()) {
      return Integer.parseInt(layer.group(1)) + 1;
    }
    if (parameterName.startsWith("model.norm.") || parameterName.startsWith("lm_head.")) {
      return stageCount() - 1;
    }
    return 0;
  }

  /** See {@link LlamaForCausalLM#stages}. */
  public final class Stages implements ModelStages {

    private final NDArray[] cosSin;
    private final Attention attention;

    private Stages(NDArray[] cosSin, Attention attention) {
      this.cosSin = cosSin;
      this.attention = attention;
    }

    @Override
    public int count() {
      return stageCount();
    }

    @Override
    public NDArray forward(int stage, NDArray input) {
      Module decoder = child("model");
      if (stage == 0) {
        return ((Embedding) decoder.child("embed_tokens")).forward(input);
      }
      if (stage <= config.numLayers()) {
        return ((LlamaDecoderLayer) ((ModuleList) decoder.child("layers")).get(stage - 1))
            .forward(input, cosSin[0], cosSin[1], attention);
      }
      NDArray h = ((RmsNorm) decoder.child("norm")).forward(input);
      if (config.tieWordEmbeddings()) {
        return h.matMul(precision.compute(((Embedding) decoder.child("embed_tokens")).weight().data()).transpose());
      }
      return ((LinearLayer) LlamaForCausalLM.this.child("lm_head")).forward(h);
    }

    @Override
    public int stageOf(String parameterName) {
      return LlamaForCausalLM.this.stageOf(parameterName);
    }
  }
}
