package dev.peft4j.runtime.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.nn.Tensors;
import java.util.Arrays;
import java.util.Random;

/**
 * Samples continuations: greedy when the temperature is 0, else temperature and nucleus (top-p)
 * sampling. Each new token runs the whole sequence again (no key/value cache): simple, and fast
 * enough for the small models peft4j trains on a CPU.
 */
public final class Generator {

  private final CausalLm model;
  private final NDManager manager;

  /** How to sample. */
  public record Sampling(int maxNewTokens, double temperature, double topP, long seed) {
    public static Sampling greedy(int maxNewTokens) {
      return new Sampling(maxNewTokens, 0, 1, 0);
    }
  }

  public Generator(CausalLm model, NDManager manager) {
    this.model = model;
    this.manager = manager;
  }

  /**
   * The new token ids after {@code prompt}, stopping after {@code eosId} (not included) or the limit. Gradient
   * tracking is off while it runs, on whatever thread calls it (libtorch keeps the mode per thread).
   */
  public int[] generate(int[] prompt, int eosId, Sampling sampling) {
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      return decode(prompt, eosId, sampling);
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  private int[] decode(int[] prompt, int eosId, Sampling sampling) {
    Random random = new Random(sampling.seed());
    int maxPositions = model.config().maxPositionEmbeddings();
    int[] sequence = Arrays.copyOf(prompt, prompt.length + sampling.maxNewTokens());
    int length = prompt.length;
    while (length < sequence.length && length < maxPositions) {
      float[] logits;
      try (NDScope scope = new NDScope()) {
        long[] ids = new long[length];
        for (int i = 0; i < length; i++) {
          ids[i] = sequence[i];
        }
        NDArray all = model.forward(Tensors.of(manager, ids, new Shape(1, length)), null);
        logits = all.get(new NDIndex("0, {}", length - 1)).toFloatArray();
      }
      int next = sampling.temperature() <= 0 ? argMax(logits) : sample(logits, sampling, random);
      if (next == eosId) {
        break;
      }
      sequence[length++] = next;
    }
    return Arrays.copyOfRange(sequence, prompt.length, length);
  }

  static int argMax(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
      if (logits[i] > logits[best]) {
        best = i;
      }
    }
    return best;
  }

  /** Softmax at the temperature, keep the smallest set of most likely tokens whose mass reaches top-p, draw. */
  static int sample(float[] logits, Sampling sampling, Random random) {
    double max = logits[argMax(logits)];
    double[] probabilities = new double[logits.length];
    double sum = 0;
    for (int i = 0; i < logits.length; i++) {
      probabilities[i] = Math.exp((logits[i] - max) / sampling.temperature());
      sum += probabilities[i];
    }
    Integer[] order = new Integer[logits.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
      probabilities[i] /= sum;
    }
    Arrays.sort(order, (a, b) -> Double.compare(probabilities[b], probabilities[a]));
    double kept = 0;
    int count = 0;
    while (count < order.length && (count == 0 || kept < sampling.topP())) {
      kept += probabilities[order[count++]];
    }
    double draw = random.nextDouble() * kept;
    for (int i = 0; i < count; i++) {
      draw -= probabilities[order[i]];
      if (draw <= 0) {
        return order[i];
      }
    }
    return order[count - 1];
  }
}
