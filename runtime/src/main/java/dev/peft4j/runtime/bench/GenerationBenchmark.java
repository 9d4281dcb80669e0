package dev.peft4j.runtime.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.peft4j.runtime.generate.Generator;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.DecodingSession;
import dev.peft4j.runtime.model.ModelConfig;
import dev.peft4j.runtime.model.ModelFamilies;
import dev.peft4j.runtime.model.WeightSource;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Measures generation on a named model size or a {@code config.json} (random weights, fp32): one prompt's greedy
 * tokens per second, the seconds of answering N prompts in batches (as {@code peft4j evaluate} does) and one at a
 * time, and the milliseconds of one new token after prefixes of several lengths, with the cache and without (a
 * forward pass over the whole prefix: what each token cost before the cache). Run by {@code bench/generate/run};
 * prints one JSON line, in the fields {@code bench/generate/hf_generate.py} prints for transformers.
 *
 * <pre>java … GenerationBenchmark MODEL PROMPTS BATCH NEW_TOKENS PREFIX… </pre>
 *
 * The prompts are {@link #prompt}'s, the same tokens in both scripts; no end-of-sequence token stops a row.
 */
public final class GenerationBenchmark {

  private GenerationBenchmark() {}

  /** Prompt {@code i}: 24 to 56 tokens (about a chat-templated question of the shipped data), all in the vocabulary. */
  static int[] prompt(int i, int vocab) {
    int[] ids = new int[24 + (i * 37) % 33];
    for (int j = 0; j < ids.length; j++) {
      ids[j] = 3 + (i * 131 + j * 29) % (vocab - 3);
    }
    return ids;
  }

  /** Decode steps timed after each prefix. */
  private static final int STEPS = 32;

  public static void main(String[] args) {
    Path configFile = Path.of(args[0]);
    ModelConfig config = Files.isRegularFile(configFile) ? ModelFamilies.BUILT_IN.readFile(configFile)
        : TrainingBenchmark.namedConfig(args[0]);
    int count = Integer.parseInt(args[1]);
    int batch = Integer.parseInt(args[2]);
    int newTokens = Integer.parseInt(args[3]);
    int[] prefixes = Arrays.stream(args).skip(4).mapToInt(Integer::parseInt).toArray();
    int vocab = config.vocabSize();
    Engine engine = Engine.getEngine("PyTorch");
    try (NDManager manager = engine.newBaseManager()) {
      engine.setRandomSeed(1);
      CausalLm model = ModelFamilies.BUILT_IN.of(config).create(config, WeightSource.randomInEngine(manager, 0.02),
          Precision.FP32);
      Generator generator = new Generator(model, manager);
      Generator.Sampling greedy = Generator.Sampling.greedy(newTokens);
      List<int[]> prompts = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        prompts.add(prompt(i, vocab));
      }
      prompts.sort(Comparator.comparingInt(p -> p.length));
      generator.generate(prompts.subList(0, Math.min(batch, count)), -1, greedy);  // warm-up

      double[] single = new double[3];
      for (int run = 0; run < single.length; run++) {
        long start = System.nanoTime();
        generator.generate(prompt(0, vocab), -1, greedy);
        single[run] = (System.nanoTime() - start) / 1e9;
      }
      double batchedSeconds = answer(generator, prompts, batch, greedy);
      double oneByOneSeconds = answer(generator, prompts, 1, greedy);

      StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
          "{\"side\": \"peft4j\", \"prompts\": %d, \"batch\": %d, \"new_tokens\": %d, \"single_tokens_per_second\": %.1f, "
              + "\"batched_seconds\": %.2f, \"batched_tokens_per_second\": %.1f, \"one_by_one_seconds\": %.2f, \"threads\": %s",
          count, batch, newTokens, newTokens / median(single), batchedSeconds, count * newTokens / batchedSeconds,
          oneByOneSeconds, System.getProperty("ai.djl.pytorch.num_threads", "default")));
      for (int prefix : prefixes) {
        json.append(String.format(Locale.ROOT, ", \"cached_ms_per_token_at_%d\": %.2f, \"uncached_ms_per_token_at_%d\": %.2f",
            prefix, cachedStep(model, manager, prefix, vocab), prefix, uncachedStep(model, manager, prefix, vocab)));
      }
      System.out.println(json.append('}'));
    }
  }

  private static double answer(Generator generator, List<int[]> prompts, int batch, Generator.Sampling sampling) {
    long start = System.nanoTime();
    for (int from = 0; from < prompts.size(); from += batch) {
      generator.generate(prompts.subList(from, Math.min(prompts.size(), from + batch)), -1, sampling);
    }
    return (System.nanoTime() - start) / 1e9;
  }

  /** The median milliseconds of one decode step after {@code prefix} cached places. */
  private static double cachedStep(CausalLm model, NDManager manager, int prefix, int vocab) {
    int[] ids = new int[prefix];
    Arrays.setAll(ids, j -> 3 + (j * 29) % (vocab - 3));
    int[] ones = new int[prefix];
    Arrays.fill(ones, 1);
    double[] millis = new double[STEPS];
    try (DecodingSession session = model.decoder(manager, 1)) {
      session.next(new int[][] {ids}, new int[][] {ones});
      for (int step = 0; step < STEPS; step++) {
        long start = System.nanoTime();
        session.next(new int[][] {{3 + step}}, new int[][] {{1}});
        millis[step] = (System.nanoTime() - start) / 1e6;
      }
    }
    return median(millis);
  }

  /** The median milliseconds of a forward pass over {@code prefix} places, reading the last logits. */
  private static double uncachedStep(CausalLm model, NDManager manager, int prefix, int vocab) {
    long[] ids = new long[prefix];
    Arrays.setAll(ids, j -> 3 + (j * 29) % (vocab - 3));
    double[] millis = new double[Math.max(3, STEPS / 4)];
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (int run = 0; run < millis.length; run++) {
        long start = System.nanoTime();
        try (NDScope scope = new NDScope()) {
          NDArray logits = model.forward(Tensors.of(manager, ids, new Shape(1, prefix)), null);
          logits.get(new NDIndex("0, {}", prefix - 1)).toFloatArray();
        }
        millis[run] = (System.nanoTime() - start) / 1e6;
      }
    } finally {
      JniUtils.setGradMode(gradMode);
    }
    return median(millis);
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
