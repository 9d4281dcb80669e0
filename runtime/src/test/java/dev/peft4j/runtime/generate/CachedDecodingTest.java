package dev.peft4j.runtime.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonParser;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.DecodingSession;
import dev.peft4j.runtime.model.ModelConfig;
import dev.peft4j.runtime.model.ModelFamilies;
import dev.peft4j.runtime.model.ModelFiles;
import dev.peft4j.runtime.model.TinyModels;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Decoding with the key/value cache against the model's own full forward pass, which recomputes the whole prefix
 * for every token; and a left-padded batch against its prompts one by one. The fixtures have grouped-query attention
 * (4 heads, 2 key/value heads); mistral-tiny's sliding window (4) is shorter than the sequences.
 */
class CachedDecodingTest {

  /** An id no model here gives: decoding runs to its limit. */
  private static final int NO_EOS = -1;

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  private static final int[][] PROMPTS = {{5, 17, 99, 3, 42, 8, 61}, {12, 7}, {30, 31, 32, 33}};

  @ParameterizedTest
  @ValueSource(strings = {Fixtures.LLAMA, Fixtures.QWEN2, Fixtures.QWEN3, Fixtures.PHI3, Fixtures.GEMMA2, Fixtures.LLAMA3, Fixtures.MISTRAL})
  void cachedGreedyEqualsRecomputingThePrefix(String fixture) {
    CausalLm model = ModelFiles.load(Fixtures.path(fixture), manager);
    Generator generator = new Generator(model, manager);
    for (int[] prompt : PROMPTS) {
      assertThat(generator.generate(prompt, NO_EOS, Generator.Sampling.greedy(12)))
          .as("%s after %s", fixture, Arrays.toString(prompt))
          .containsExactly(recomputing(model, prompt, 12));
    }
  }

  /**
   * The cache keeps only the window's last places; down to a window of 1 (a place sees only itself), a batch with
   * left padding decodes as the forward pass over each whole sequence.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 2, 5})
  void aSlidingWindowDecodesAsTheForwardPass(int window) {
    ModelConfig config = ModelFamilies.BUILT_IN.of("mistral").orElseThrow().config(JsonParser.parseString("""
        {"model_type": "mistral", "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 40, "max_position_embeddings": 64,
         "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "sliding_window": %d}
        """.formatted(window)).getAsJsonObject(), Path.of("test"));
    CausalLm model = TinyModels.random(manager, config, 9);
    int[][] prompts = {{5, 17, 33, 3, 22, 8, 11}, {12, 7}};
    List<int[]> batched = new Generator(model, manager).generate(List.of(prompts), NO_EOS, Generator.Sampling.greedy(10));
    for (int r = 0; r < prompts.length; r++) {
      assertThat(batched.get(r)).as("window %d, row %d", window, r).containsExactly(recomputing(model, prompts[r], 10));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {Fixtures.LLAMA, Fixtures.QWEN2, Fixtures.QWEN3, Fixtures.PHI3, Fixtures.GEMMA2, Fixtures.LLAMA3, Fixtures.MISTRAL})
  void aLeftPaddedBatchEqualsItsPromptsOneByOne(String fixture) {
    CausalLm model = ModelFiles.load(Fixtures.path(fixture), manager);
    Generator generator = new Generator(model, manager);
    List<int[]> batched = generator.generate(List.of(PROMPTS), NO_EOS, Generator.Sampling.greedy(12));
    for (int r = 0; r < PROMPTS.length; r++) {
      assertThat(batched.get(r)).as("%s row %d", fixture, r)
          .containsExactly(generator.generate(PROMPTS[r], NO_EOS, Generator.Sampling.greedy(12)));
    }
  }

  /** Each row draws from a generator seeded alike, so that a prompt's sample does not depend on its neighbours. */
  @Test
  void aSampledBatchDrawsAsItsPromptsOneByOne() {
    CausalLm model = ModelFiles.load(Fixtures.path(Fixtures.LLAMA), manager);
    Generator generator = new Generator(model, manager);
    Generator.Sampling sampling = new Generator.Sampling(12, 0.9, 0.9, 7);
    List<int[]> batched = generator.generate(List.of(PROMPTS), NO_EOS, sampling);
    for (int r = 0; r < PROMPTS.length; r++) {
      assertThat(batched.get(r)).as("row %d", r).containsExactly(generator.generate(PROMPTS[r], NO_EOS, sampling));
    }
    assertThat(batched.get(0)).as("a sample, not the greedy answer")
        .isNotEqualTo(generator.generate(PROMPTS[0], NO_EOS, Generator.Sampling.greedy(12)));
  }

  @Test
  void aRowStopsAtItsEndOfSequenceTokenWhileTheOthersGoOn() {
    CausalLm model = ModelFiles.load(Fixtures.path(Fixtures.LLAMA), manager);
    Generator generator = new Generator(model, manager);
    int[] free = generator.generate(PROMPTS[0], NO_EOS, Generator.Sampling.greedy(12));
    int eos = free[3];
    int stop = Arrays.stream(free).boxed().toList().indexOf(eos);

    List<int[]> batched = generator.generate(List.of(PROMPTS), eos, Generator.Sampling.greedy(12));

    assertThat(batched.get(0)).containsExactly(Arrays.copyOf(free, stop));
    for (int r = 1; r < PROMPTS.length; r++) {
      int[] alone = generator.generate(PROMPTS[r], eos, Generator.Sampling.greedy(12));
      assertThat(batched.get(r)).as("row %d", r).containsExactly(alone);
    }
  }

  /** A stop string ends its row after the token that completes it (the ids keep it; {@code cut} drops it). */
  @Test
  void aRowStopsAtAStopStringWhileTheOthersGoOn() {
    CausalLm model = ModelFiles.load(Fixtures.path(Fixtures.LLAMA), manager);
    Generator generator = new Generator(model, manager);
    java.util.function.Function<int[], String> decode = ids -> Arrays.stream(ids).mapToObj(i -> "<" + i + ">")
        .collect(java.util.stream.Collectors.joining());
    int[] free = generator.generate(PROMPTS[0], NO_EOS, Generator.Sampling.greedy(12));
    String stop = "<" + free[4] + ">";
    int last = Arrays.stream(free).boxed().toList().indexOf(free[4]);
    Generator.Sampling sampling = Generator.Sampling.greedy(12).stoppingAt(List.of(stop));

    List<int[]> batched = generator.generate(List.of(PROMPTS), NO_EOS, sampling, decode);

    assertThat(batched.get(0)).containsExactly(Arrays.copyOf(free, last + 1));
    assertThat(sampling.cut(decode.apply(batched.get(0)))).isEqualTo(decode.apply(Arrays.copyOf(free, last)));
    for (int r = 1; r < PROMPTS.length; r++) {
      int[] alone = generator.generate(List.of(PROMPTS[r]), NO_EOS, sampling, decode).get(0);
      assertThat(batched.get(r)).as("row %d", r).containsExactly(alone);
    }
    assertThatThrownBy(() -> generator.generate(List.of(PROMPTS), NO_EOS, sampling))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("decode");
    assertThatThrownBy(() -> Generator.Sampling.greedy(4).stoppingAt(List.of("")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
  }

  @Test
  void decodingStopsAtMaxPositionEmbeddings() {
    CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 3);
    int max = model.config().maxPositionEmbeddings();
    int[] nearlyFull = new int[max - 2];
    Arrays.fill(nearlyFull, 5);
    int[] full = new int[max];
    Arrays.fill(full, 6);

    List<int[]> answers = new Generator(model, manager).generate(List.of(nearlyFull, full, new int[] {7}), NO_EOS,
        Generator.Sampling.greedy(10));

    assertThat(answers.get(0)).hasSize(2);
    assertThat(answers.get(1)).isEmpty();
    assertThat(answers.get(2)).hasSize(10);
  }

  @Test
  void decodingLeavesNoArraysBehind() {
    CausalLm model = ModelFiles.load(Fixtures.path(Fixtures.QWEN2), manager);
    int before = manager.getManagedArrays().size();

    new Generator(model, manager).generate(List.of(PROMPTS), NO_EOS, Generator.Sampling.greedy(6));

    assertThat(manager.getManagedArrays()).hasSize(before);
  }

  /**
   * In bf16 the cache holds bf16 keys and values, as the forward pass computes them; a step's logits are the bf16
   * forward pass's at the same place up to bf16 rounding, which differs between the two because the cached step
   * multiplies other shapes (one place instead of the whole prefix). bf16 keeps 8 significant bits, a relative
   * error of 2⁻⁸ ≈ 0.004 a rounding; logits of about unit size through two layers stay within 0.1.
   */
  @Test
  void aBf16CacheDecodesAsTheBf16ForwardPass() {
    CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 11, Precision.BF16);
    int[] sequence = {3, 9, 27, 4, 15, 22, 8, 31, 1, 19};
    double maxError = 0;
    try (DecodingSession session = model.decoder(manager, 1)) {
      float[][] logits = session.next(new int[][] {Arrays.copyOf(sequence, 4)}, new int[][] {{1, 1, 1, 1}});
      for (int length = 4; length <= sequence.length; length++) {
        float[] full = lastLogits(model, Arrays.copyOf(sequence, length));
        for (int v = 0; v < full.length; v++) {
          maxError = Math.max(maxError, Math.abs(full[v] - logits[0][v]));
        }
        if (length < sequence.length) {
          logits = session.next(new int[][] {{sequence[length]}}, new int[][] {{1}});
        }
      }
    }
    System.out.printf("bf16: max abs error of cached step logits vs the bf16 forward pass %.3g%n", maxError);
    assertThat(maxError).isLessThan(0.1);
  }

  @Test
  void anEmptyPromptIsRefused() {
    CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 3);

    assertThatThrownBy(() -> new Generator(model, manager).generate(List.of(new int[] {4}, new int[0]), NO_EOS,
        Generator.Sampling.greedy(3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("prompt 1 has no tokens");
  }

  /** Greedy decoding as it was before the cache: the whole sequence through the forward pass for every token. */
  private int[] recomputing(CausalLm model, int[] prompt, int maxNewTokens) {
    List<Integer> sequence = new ArrayList<>(Arrays.stream(prompt).boxed().toList());
    for (int i = 0; i < maxNewTokens; i++) {
      sequence.add(Generator.argMax(lastLogits(model, sequence.stream().mapToInt(Integer::intValue).toArray())));
    }
    return sequence.subList(prompt.length, sequence.size()).stream().mapToInt(Integer::intValue).toArray();
  }

  private float[] lastLogits(CausalLm model, int[] ids) {
    try (NDScope scope = new NDScope()) {
      NDArray all = model.forward(manager.create(Arrays.stream(ids).asLongStream().toArray(), new Shape(1, ids.length)),
          null);
      return all.get(new NDIndex("0, {}", ids.length - 1)).toFloatArray();
    }
  }
}
