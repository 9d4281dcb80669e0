package dev.peft4j.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.runtime.nn.Attention;
import dev.peft4j.runtime.nn.Embedding;
import dev.peft4j.runtime.nn.KeyValueCache;
import dev.peft4j.runtime.nn.Linear;
import dev.peft4j.runtime.nn.Module;
import dev.peft4j.runtime.nn.ModuleList;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.RmsNorm;
import dev.peft4j.runtime.nn.RotaryEmbedding;
import dev.peft4j.runtime.nn.Tensors;
import dev.peft4j.runtime.nn.TorchOps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A decoder-only model as transformers builds Llama and the families derived from it, with Hugging Face's module
 * names: {@code model.embed_tokens}, {@code model.layers.N.*} (each a {@link DecoderLayer} of the family's making),
 * {@code model.norm}, {@code lm_head} (absent when the embeddings are tied). Rotary positions, causal attention
 * (within a sliding window per layer, soft-capped where the family caps it), the forward pass in stages, and decoding
 * with a key/value cache are the same for all of them and live here; a family subclasses it with its layers, its
 * {@link #info}, and where it differs the hooks {@link #attentionScale}, {@link #attentionSoftcap}, {@link
 * #scaleEmbeddings} and {@link #capLogits}.
 */
public abstract class DecoderModel extends Module implements CausalLm {

  private final ModelConfig config;
  private final Precision precision;
  private final RotaryEmbedding rotary;
  /** Each layer's sliding window: a query sees its own place and the {@code window − 1} before it; 0 for none. */
  private final int[] windows;

  /**
   * A model whose layers all have one sliding window (0 for none) and whose final norm is Llama's RMSNorm.
   *
   * @param rotary the rotary embedding of a head
   * @param layer the decoder layer of each index, named {@code model.layers.N.} in {@code weights}
   */
  protected DecoderModel(ModelConfig config, Precision precision, WeightSource weights, double rmsNormEps,
      RotaryEmbedding rotary, int slidingWindow, IntFunction<DecoderLayer> layer) {
    this(config, precision, weights, name -> new RmsNorm(weights.get(name, config.hiddenSize()), rmsNormEps, precision),
        rotary, windows(config.numLayers(), slidingWindow), layer);
  }

  /**
   * @param norm the final norm of the weight named so
   * @param windows each layer's sliding window, 0 for none
   */
  protected DecoderModel(ModelConfig config, Precision precision, WeightSource weights, Function<String, RmsNorm> norm,
      RotaryEmbedding rotary, int[] windows, IntFunction<DecoderLayer> layer) {
    if (windows.length != config.numLayers()) {
      throw new IllegalArgumentException(windows.length + " windows for " + config.numLayers() + " layers");
    }
    this.config = config;
    this.precision = precision;
    this.rotary = rotary;
    this.windows = windows.clone();
    List<DecoderLayer> layers = new ArrayList<>();
    Embedding embed = new Embedding(weights.get("model.embed_tokens.weight", config.vocabSize(), config.hiddenSize()),
        precision);
    for (int i = 0; i < config.numLayers(); i++) {
      DecoderLayer built = layer.apply(i);
      weights.layerRead(built);
      layers.add(built);
    }
    add("model", new Decoder(embed, new ModuleList(layers), norm.apply("model.norm.weight")));
    if (!config.tieWordEmbeddings()) {
      add("lm_head", linear(weights, "lm_head", config.vocabSize(), config.hiddenSize(), false, precision));
    }
  }

  private static int[] windows(int layers, int window) {
    int[] windows = new int[layers];
    Arrays.fill(windows, window);
    return windows;
  }

  /** The decoder stack, named {@code model} as in transformers. */
  private static final class Decoder extends Module {
    Decoder(Embedding embed, ModuleList layers, RmsNorm norm) {
      add("embed_tokens", embed);
      add("layers", layers);
      add("norm", norm);
    }
  }

  /** The linear layer {@code name} ({@code [out, in]}, and a bias of {@code out} when {@code bias}) from {@code weights}. */
  public static Linear linear(WeightSource weights, String name, int out, int in, boolean bias, Precision precision) {
    return new Linear(weights.get(name + ".weight", out, in), bias ? weights.get(name + ".bias", out) : null, precision);
  }

  @Override
  public ModelConfig config() {
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
  public OptionalInt layerOf(String name) {
    Matcher m = LAYER.matcher(name);
    return m.matches() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
  }

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
    Map<Integer, Attention> byWindow = new HashMap<>();
    Attention[] attention = new Attention[windows.length];
    for (int i = 0; i < windows.length; i++) {
      attention[i] = byWindow.computeIfAbsent(windows[i],
          w -> Attention.of(manager, attentionMask, length, length, w, attentionScale(), attentionSoftcap()));
    }
    return new Stages(rotary.cosSin(manager, length), attention, null);
  }

  /** The factor on the attention scores: 1/√head_dim. */
  protected float attentionScale() {
    return (float) (1 / Math.sqrt(config.headDim()));
  }

  /** A soft-cap on the attention scores ({@link Attention}); 0 for none. */
  protected float attentionSoftcap() {
    return 0;
  }

  /** The embeddings of the ids as the first layer reads them: as looked up, unless a family scales them. */
  protected NDArray scaleEmbeddings(NDArray embeddings) {
    return embeddings;
  }

  /** The logits as the model gives them: the head's output, unless a family caps them. */
  protected NDArray capLogits(NDArray logits) {
    return logits;
  }

  @Override
  public DecodingSession decoder(NDManager manager, int batch) {
    return new CachedDecoding(manager, batch);
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

  /** See {@link DecoderModel#stages}. */
  public final class Stages implements ModelStages {

    private final NDArray[] cosSin;
    /** Each layer's (layers of one window share one). */
    private final Attention[] attention;
    /** Each layer's cache when decoding with one, else null. */
    private final KeyValueCache[] caches;

    private Stages(NDArray[] cosSin, Attention[] attention, KeyValueCache[] caches) {
      this.cosSin = cosSin;
      this.attention = attention;
      this.caches = caches;
    }

    @Override
    public int count() {
      return stageCount();
    }

    @Override
    public NDArray forward(int stage, NDArray input) {
      Module decoder = child("model");
      if (stage == 0) {
        return scaleEmbeddings(((Embedding) decoder.child("embed_tokens")).forward(input));
      }
      if (stage <= config.numLayers()) {
        return layer(stage).forward(input, cosSin[0], cosSin[1], attention[stage - 1], cache(stage));
      }
      NDArray h = ((RmsNorm) decoder.child("norm")).forward(input);
      if (config.tieWordEmbeddings()) {
        return capLogits(
            h.matMul(precision.compute(((Embedding) decoder.child("embed_tokens")).weight().data()).transpose()));
      }
      return capLogits(((LinearLayer) DecoderModel.this.child("lm_head")).forward(h));
    }

    @Override
    public Recomputed recompute(int stage, NDArray input) {
      if (stage < 1 || stage > config.numLayers()) {
        return ModelStages.super.recompute(stage, input);
      }
      return layer(stage).recompute(input, cosSin[0], cosSin[1], attention[stage - 1], cache(stage));
    }

    /** The decoder layer stage {@code stage} runs (1 to the number of layers). */
    private DecoderLayer layer(int stage) {
      return (DecoderLayer) ((ModuleList) child("model").child("layers")).get(stage - 1);
    }

    /** That stage's key/value cache when decoding with one, else null. */
    private KeyValueCache cache(int stage) {
      return caches == null ? null : caches[stage - 1];
    }

    @Override
    public int stageOf(String parameterName) {
      return DecoderModel.this.stageOf(parameterName);
    }
  }

  /** See {@link DecodingSession}. */
  private final class CachedDecoding implements DecodingSession {

    private final NDManager manager;
    private final NDManager cacheManager;
    private final KeyValueCache[] caches;
    /** Each row's mask over every place fed so far (a windowed layer's cache holds only the last of them). */
    private int[][] keyMask;
    /** Each row's real tokens so far. */
    private final int[] real;
    /** Places fed so far. */
    private int fed;

    CachedDecoding(NDManager manager, int batch) {
      if (batch < 1) {
        throw new IllegalArgumentException("a decoding session needs at least one row, not " + batch);
      }
      this.manager = manager;
      this.cacheManager = manager.newSubManager();
      this.caches = new KeyValueCache[config.numLayers()];
      for (int i = 0; i < caches.length; i++) {
        caches[i] = new KeyValueCache(cacheManager);
      }
      this.keyMask = new int[batch][0];
      this.real = new int[batch];
    }

    @Override
    public int length() {
      return fed;
    }

    @Override
    public float[][] next(int[][] ids, int[][] mask) {
      int batch = real.length;
      if (ids.length != batch || mask.length != batch || ids[0].length < 1) {
        throw new IllegalArgumentException("a step of this session takes " + batch + " rows of at least one id and "
            + "their mask, not " + ids.length + " rows of " + (ids.length == 0 ? 0 : ids[0].length) + " and "
            + mask.length + " mask rows");
      }
      int count = ids[0].length;
      long[] flat = new long[batch * count];
      int[][] positions = new int[batch][count];
      int[][] keys = new int[batch][];
      for (int b = 0; b < batch; b++) {
        if (ids[b].length != count || mask[b].length != count) {
          throw new IllegalArgumentException("row " + b + " of a step has " + ids[b].length + " ids and "
              + mask[b].length + " mask values, not " + count + " as row 0");
        }
      }
      for (int b = 0; b < batch; b++) {
        keys[b] = Arrays.copyOf(keyMask[b], fed + count);
        for (int t = 0; t < count; t++) {
          flat[b * count + t] = ids[b][t];
          keys[b][fed + t] = mask[b][t];
          // As transformers' generate: position_ids = cumsum(attention_mask) - 1, pads at 1.
          positions[b][t] = mask[b][t] != 0 ? real[b]++ : 1;
        }
      }
      keyMask = keys;
      boolean gradMode = JniUtils.isGradMode();
      JniUtils.setGradMode(false);
      try (NDScope scope = new NDScope()) {
        Map<Integer, Attention> byWindow = new HashMap<>();
        Attention[] attention = new Attention[windows.length];
        for (int i = 0; i < windows.length; i++) {
          attention[i] = byWindow.computeIfAbsent(windows[i], w -> {
            // A windowed layer's cache holds the window's last w - 1 places (fewer at first); its mask is cut alike,
            // so that places keep their distances (all the mask depends on).
            int cached = w > 0 ? Math.min(fed, w - 1) : fed;
            int[][] rows = new int[batch][];
            for (int b = 0; b < batch; b++) {
              rows[b] = Arrays.copyOfRange(keys[b], fed - cached, fed + count);
            }
            return Attention.of(manager, rows, count, cached + count, w, attentionScale(), attentionSoftcap());
          });
        }
        Stages stages = new Stages(rotary.cosSin(manager, positions), attention, caches);
        NDArray h = Tensors.of(manager, flat, new Shape(batch, count));
        for (int stage = 0; stage < stageCount() - 1; stage++) {
          h = stages.forward(stage, h);
        }
        NDArray logits = TorchOps.get().toFloat32(stages.forward(stageCount() - 1, h.get(new NDIndex(":, -1"))));
        fed += count;
        for (int i = 0; i < windows.length; i++) {
          if (windows[i] > 0) {
            // A later query sees its own place and the window - 1 before it: older places are never seen again.
            caches[i].keepLast(windows[i] - 1);
          }
        }
        float[] values = logits.toFloatArray();
        int vocab = (int) logits.getShape().get(1);
        float[][] rows = new float[batch][];
        for (int b = 0; b < batch; b++) {
          rows[b] = Arrays.copyOfRange(values, b * vocab, (b + 1) * vocab);
        }
        return rows;
      } finally {
        JniUtils.setGradMode(gradMode);
      }
    }

    @Override
    public void close() {
      cacheManager.close();
    }
  }
}
