package dev.peft4j.runtime.generate;

import ai.djl.ndarray.NDManager;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.DecodingSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Samples continuations: greedy when the temperature is 0, else temperature and nucleus (top-p) sampling. Prompts
 * are decoded together, left-padded, with the model's key/value cache ({@link DecodingSession}): the prompts run
 * once, then each new token computes only its own place. Each row stops at the end-of-sequence token, a stop string
 * or its limit;
 * a finished row is kept in the batch (fed a pad, its tokens ignored) until every row is done.
 */
public final class Generator {

  private final CausalLm model;
  private final NDManager manager;

  /**
   * How to sample. The seed seeds each row's draws alike, so that a prompt's sample does not depend on the
   * prompts decoded beside it.
   *
   * @param stop texts that end a row's answer as soon as its decoded text holds one; the answer is cut before it (as
   *     vLLM's {@code stop} does). Empty for none
   */
  public record Sampling(int maxNewTokens, double temperature, double topP, long seed, List<String> stop) {
    public Sampling {
      stop = List.copyOf(stop);
      if (stop.stream().anyMatch(String::isEmpty)) {
        throw new IllegalArgumentException("a stop string must not be empty");
      }
    }

    /** No stop strings. */
    public Sampling(int maxNewTokens, double temperature, double topP, long seed) {
      this(maxNewTokens, temperature, topP, seed, List.of());
    }

    public static Sampling greedy(int maxNewTokens) {
      return new Sampling(maxNewTokens, 0, 1, 0);
    }

    /** These settings with {@code stop} as the stop strings. */
    public Sampling stoppingAt(List<String> stop) {
      return new Sampling(maxNewTokens, temperature, topP, seed, stop);
    }

    /** {@code text} cut before the first stop string it holds; the text itself if it holds none. */
    public String cut(String text) {
      int end = text.length();
      for (String s : stop) {
        int at = text.indexOf(s);
        if (at >= 0) {
          end = Math.min(end, at);
        }
      }
      return text.substring(0, end);
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
    return generate(prompts, eosId, sampling, null);
  }

  /**
   * As {@link #generate(List, int, Sampling)}, a row also stopping after the token that makes {@code decode} of its
   * answer hold one of {@link Sampling#stop}: the ids returned then end with that token ({@link Sampling#cut} cuts
   * the text). {@code decode} is only called when there are stop strings.
   */
  public List<int[]> generate(List<int[]> prompts, int eosId, Sampling sampling, Function<int[], String> decode) {
    if (!sampling.stop().isEmpty() && decode == null) {
      throw new IllegalArgumentException("stop strings need the tokenizer's decode: use generate(prompts, eosId, "
          + "sampling, decode)");
    }
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
            done[r] = counts[r] == limits[r] || stops(answers[r], counts[r], sampling, decode);
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

  /** Whether the answer's first {@code count} tokens hold a stop string; decoded only when there is one to find. */
  private static boolean stops(int[] answer, int count, Sampling sampling, Function<int[], String> decode) {
    if (sampling.stop().isEmpty()) {
      return false;
    }
    String text = decode.apply(Arrays.copyOf(answer, count));
    for (String s : sampling.stop()) {
      if (text.contains(s)) {
        return true;
      }
    }
    return false;
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
