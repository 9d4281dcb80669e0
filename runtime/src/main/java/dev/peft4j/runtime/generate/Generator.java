package dev.peft4j.runtime.generate;

import ai.djl.ndarray.NDManager;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.DecodingSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Samples continuations: greedy when the temperature is 0, else temperature and nucleus (top-p) sampling. Prompts
 * are decoded together, left-padded, with the model's key/value cache ({@link DecodingSession}): the prompts run
 * once, then each new token computes only its own place. Each row stops at the end-of-sequence token or its limit;
 * a finished row is kept in the batch (fed a pad, its tokens ignored) until every row is done.
 */
public final class Generator {

  private final CausalLm model;
  private final NDManager manager;

  /**
   * How to sample. The seed seeds each row's draws alike, so that a prompt's sample does not depend on the
   * prompts decoded beside it.
   */
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
   * The new token ids after {@code prompt}, stopping after {@code eosId} (not included), the limit, or the model's
   * {@code max_position_embeddings}. Gradient tracking is off while it runs, on whatever thread calls it (libtorch
   * keeps the mode per thread).
   */
  public int[] generate(int[] prompt, int eosId, Sampling sampling) {
    return generate(List.of(prompt), eosId, sampling).get(0);
  }

  /**
   * The new token ids after each prompt, in order, decoded as one batch; each as {@link #generate(int[], int,
   * Sampling)} gives it, up to floating-point rounding (a batch sums in other orders).
   */
  public List<int[]> generate(List<int[]> prompts, int eosId, Sampling sampling) {
    if (prompts.isEmpty()) {
      return List.of();
    }
    int batch = prompts.size();
    int maxPositions = model.config().maxPositionEmbeddings();
    int width = 0;
    int[] limits = new int[batch];
    for (int r = 0; r < batch; r++) {
      int length = prompts.get(r).length;
      if (length == 0) {
        throw new IllegalArgumentException("prompt " + r + " has no tokens: a continuation needs at least one "
            + "(the chat template or a bos token gives one)");
      }
      width = Math.max(width, length);
      limits[r] = Math.max(0, Math.min(sampling.maxNewTokens(), maxPositions - length));
    }
    int[][] answers = new int[batch][];
    int[] counts = new int[batch];
    boolean[] done = new boolean[batch];
    Random[] randoms = new Random[batch];
    int[][] ids = new int[batch][width];
    int[][] mask = new int[batch][width];
    int running = 0;
    for (int r = 0; r < batch; r++) {
      int[] prompt = prompts.get(r);
      System.arraycopy(prompt, 0, ids[r], width - prompt.length, prompt.length);
      Arrays.fill(mask[r], width - prompt.length, width, 1);
      answers[r] = new int[limits[r]];
      randoms[r] = new Random(sampling.seed());
      done[r] = limits[r] == 0;
      running += done[r] ? 0 : 1;
    }
    try (DecodingSession session = model.decoder(manager, batch)) {
      while (running > 0) {
        float[][] logits = session.next(ids, mask);
        ids = new int[batch][1];
        mask = new int[batch][1];
        for (int r = 0; r < batch; r++) {
          // Every row stays in the batch: a finished one is fed a pad that it attends to, as in transformers.
          mask[r][0] = 1;
          if (done[r]) {
            continue;
          }
          int next = sampling.temperature() <= 0 ? argMax(logits[r]) : sample(logits[r], sampling, randoms[r]);
          if (next == eosId) {
            done[r] = true;
          } else {
            answers[r][counts[r]++] = next;
            ids[r][0] = next;
            done[r] = counts[r] == limits[r];
          }
          running -= done[r] ? 1 : 0;
        }
      }
    }
    List<int[]> out = new ArrayList<>(batch);
    for (int r = 0; r < batch; r++) {
      out.add(Arrays.copyOf(answers[r], counts[r]));
    }
    return out;
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
