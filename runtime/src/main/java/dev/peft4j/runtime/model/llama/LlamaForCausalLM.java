package dev.peft4j.runtime.model.llama;

import dev.peft4j.runtime.nn.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.runtime.nn.Embedding;
import dev.peft4j.runtime.nn.Linear;
import dev.peft4j.runtime.nn.Module;
import dev.peft4j.runtime.nn.ModuleList;
import dev.peft4j.runtime.nn.RmsNorm;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Llama-family causal language model (Llama 2/3, TinyLlama, Mistral, Qwen2) with Hugging Face's
 * module names: {@code model.embed_tokens}, {@code model.layers.N.*}, {@code model.norm}, {@code
 * lm_head} (absent when the embeddings are tied).
 */
public final class LlamaForCausalLM extends Module {

  /** What an additive attention mask adds where attention is not allowed (torch.finfo(float32).min). */
  static final float MASKED = -3.4028235e38f;

  private final LlamaConfig config;
  private final RotaryEmbedding rotary;

  private LlamaForCausalLM(LlamaConfig config, WeightSource weights) {
    this.config = config;
    this.rotary = new RotaryEmbedding(config);
    List<LlamaDecoderLayer> layers = new ArrayList<>();
    Embedding embed = new Embedding(weights.get("model.embed_tokens.weight", config.vocabSize(), config.hiddenSize()));
    for (int i = 0; i < config.numLayers(); i++) {
      layers.add(new LlamaDecoderLayer(config, "model.layers." + i + ".", weights));
    }
    add("model", new Decoder(embed, new ModuleList(layers),
        new RmsNorm(weights.get("model.norm.weight", config.hiddenSize()), config.rmsNormEps())));
    if (!config.tieWordEmbeddings()) {
      add("lm_head", linear(weights, "lm_head", config.vocabSize(), config.hiddenSize(), false));
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

  /** Builds the model with weights from {@code weights}. */
  public static LlamaForCausalLM create(LlamaConfig config, WeightSource weights) {
    return new LlamaForCausalLM(config, weights);
  }

  static Linear linear(WeightSource weights, String name, int out, int in, boolean bias) {
    return new Linear(weights.get(name + ".weight", out, in), bias ? weights.get(name + ".bias", out) : null);
  }

  public LlamaConfig config() {
    return config;
  }

  /**
   * Logits for every position.
   *
   * @param inputIds {@code [B, T]} INT64
   * @param attentionMask {@code [B, T]}, 1 for real tokens and 0 for padding; null when there is none
   * @return {@code [B, T, vocab]} FLOAT32
   */
  public NDArray forward(NDArray inputIds, int[][] attentionMask) {
    Stages stages = stages(inputIds, attentionMask);
    NDArray h = inputIds;
    for (int stage = 0; stage < stages.count(); stage++) {
      h = stages.forward(stage, h);
    }
    return h;
  }

  /**
   * The forward pass cut into stages, for a backward pass that runs stage by stage (layer-wise
   * optimizer steps): stage 0 is the embeddings, stage {@code i + 1} decoder layer {@code i}, the last
   * stage the final norm and the head. {@link #forward} is the stages run one after the other.
   */
  public Stages stages(NDArray inputIds, int[][] attentionMask) {
    NDManager manager = inputIds.getManager();
    int batch = (int) inputIds.getShape().get(0);
    int length = (int) inputIds.getShape().get(1);
    return new Stages(rotary.cosSin(manager, length), causalMask(manager, batch, length, attentionMask));
  }

  /** See {@link LlamaForCausalLM#stages}. */
  public final class Stages {

    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\..*");

    private final NDArray[] cosSin;
    private final NDArray mask;

    private Stages(NDArray[] cosSin, NDArray mask) {
      this.cosSin = cosSin;
      this.mask = mask;
    }

    /** The embeddings, each decoder layer, the head. */
    public int count() {
      return config.numLayers() + 2;
    }

    /**
     * Runs one stage.
     *
     * @param input the token ids {@code [B, T]} for stage 0, the hidden states {@code [B, T, hidden]} the
     *     stage before returned otherwise
     * @return hidden states, or the logits {@code [B, T, vocab]} for the last stage
     */
    public NDArray forward(int stage, NDArray input) {
      Module decoder = child("model");
      if (stage == 0) {
        return ((Embedding) decoder.child("embed_tokens")).forward(input);
      }
      if (stage <= config.numLayers()) {
        return ((LlamaDecoderLayer) ((ModuleList) decoder.child("layers")).get(stage - 1))
            .forward(input, cosSin[0], cosSin[1], mask);
      }
      NDArray h = ((RmsNorm) decoder.child("norm")).forward(input);
      if (config.tieWordEmbeddings()) {
        return h.matMul(((Embedding) decoder.child("embed_tokens")).weight().data().transpose());
      }
      return ((LinearLayer) LlamaForCausalLM.this.child("lm_head")).forward(h);
    }

    /**
     * The stage after whose backward pass the gradient of {@code parameterName} is complete: its decoder
     * layer's, the last for the final norm and the head, and 0 for everything else — the embeddings, which
     * the head also uses when they are tied, and any parameter this model does not place.
     */
    public int stageOf(String parameterName) {
      Matcher layer = LAYER.matcher(parameterName);
      if (layer.matches()) {
        return Integer.parseInt(layer.group(1)) + 1;
      }
      if (parameterName.startsWith("model.norm.") || parameterName.startsWith("lm_head.")) {
        return count() - 1;
      }
      return 0;
    }
  }

  /** Causal and padding mask, {@code [B, 1, T, T]}: 0 where position i may attend to j, a huge negative elsewhere. */
  static NDArray causalMask(NDManager manager, int batch, int length, int[][] attentionMask) {
    float[] mask = new float[batch * length * length];
    for (int b = 0; b < batch; b++) {
      for (int i = 0; i < length; i++) {
        for (int j = 0; j < length; j++) {
          boolean visible = j <= i && (attentionMask == null || attentionMask[b][j] != 0);
          mask[(b * length + i) * length + j] = visible ? 0f : MASKED;
        }
      }
    }
    return Tensors.of(manager, mask, new Shape(batch, 1, length, length));
  }

  /** Transformers' initialisation: normal(0, initializer_range) for linear and embedding weights, ones for norms, zero biases. */
  public static WeightSource randomWeights(NDManager manager, double std, long seed) {
    java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
    return (name, shape) -> {
      Shape s = new Shape(shape);
      if (name.endsWith("norm.weight")) {
        return manager.ones(s, DataType.FLOAT32);
      }
      if (name.endsWith(".bias")) {
        return manager.zeros(s, DataType.FLOAT32);
      }
      float[] values = new float[Math.toIntExact(s.size())];
      java.util.Random gaussian = new java.util.Random(random.nextLong());
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) (gaussian.nextGaussian() * std);
      }
      return Tensors.of(manager, values, s);
    };
  }
}
