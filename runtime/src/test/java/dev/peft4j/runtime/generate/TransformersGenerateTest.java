package dev.peft4j.runtime.generate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.DecodingSession;
import dev.peft4j.runtime.model.ModelFiles;
import dev.peft4j.runtime.testing.Fixtures;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Cached, batched decoding against transformers' greedy {@code generate} on the same weights (generate.json, made by
 * runtime/src/test/python/make_generate_fixtures.py): three prompts of 5, 9 and 3 tokens left-padded to 9, 8 new
 * tokens, rows that stop at the end-of-sequence token while the others go on; Mistral's sliding window (4) is
 * shorter than every sequence.
 */
class TransformersGenerateTest {

  /** fp32 on both sides; the differences left are the order of floating-point sums (as TransformersLogitsTest). */
  private static final double TOLERANCE = 1e-4;

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {Fixtures.LLAMA, Fixtures.QWEN2, Fixtures.QWEN3, Fixtures.PHI3, Fixtures.GEMMA2, Fixtures.LLAMA3, Fixtures.MISTRAL})
  void greedyBatchEqualsTransformersGenerate(String fixture) {
    JsonObject expected = expected(fixture);
    CausalLm model = ModelFiles.load(Fixtures.path(fixture), manager);
    List<int[]> prompts = Arrays.asList(Fixtures.ints(expected.getAsJsonArray("prompts")));

    List<int[]> answers = new Generator(model, manager).generate(prompts, expected.get("eos_token_id").getAsInt(),
        Generator.Sampling.greedy(expected.get("max_new_tokens").getAsInt()));

    int[][] reference = Fixtures.ints(expected.getAsJsonArray("answers"));
    assertThat(answers).hasSize(reference.length);
    for (int r = 0; r < reference.length; r++) {
      assertThat(answers.get(r)).as("row %d of %s", r, fixture).containsExactly(reference[r]);
    }
  }

  /**
   * Each step's logits, the batch fed as transformers fed it: the left-padded prompts, then each step's tokens (a
   * finished row's pad id, attended to), so that the rotary positions of padded rows and the mask over cache and
   * new keys are checked at every place, not only where the greedy choice shows them.
   */
  @ParameterizedTest
  @ValueSource(strings = {Fixtures.LLAMA, Fixtures.QWEN2, Fixtures.QWEN3, Fixtures.PHI3, Fixtures.GEMMA2, Fixtures.LLAMA3, Fixtures.MISTRAL})
  void cachedStepLogitsEqualTransformers(String fixture) {
    JsonObject expected = expected(fixture);
    CausalLm model = ModelFiles.load(Fixtures.path(fixture), manager);
    int[][] sequences = Fixtures.ints(expected.getAsJsonArray("sequences"));
    JsonArray shape = expected.getAsJsonArray("logits_shape");
    int batch = shape.get(0).getAsInt();
    int steps = shape.get(1).getAsInt();
    int vocab = shape.get(2).getAsInt();
    JsonArray reference = expected.getAsJsonArray("logits");
    double maxError = 0;
    try (DecodingSession session = model.decoder(manager, batch)) {
      int[][] ids = Fixtures.ints(expected.getAsJsonArray("input_ids"));
      int[][] mask = Fixtures.ints(expected.getAsJsonArray("attention_mask"));
      for (int step = 0; step < steps; step++) {
        float[][] logits = session.next(ids, mask);
        for (int b = 0; b < batch; b++) {
          for (int v = 0; v < vocab; v++) {
            double want = reference.get((b * steps + step) * vocab + v).getAsDouble();
            maxError = Math.max(maxError, Math.abs(logits[b][v] - want));
          }
        }
        ids = new int[batch][1];
        mask = new int[batch][1];
        for (int b = 0; b < batch; b++) {
          ids[b][0] = sequences[b][step];
          mask[b][0] = 1;
        }
      }
      assertThat(session.length()).isEqualTo(Fixtures.ints(expected.getAsJsonArray("input_ids"))[0].length + steps - 1);
    }
    System.out.printf("%s: max abs error of cached step logits vs transformers %.3g%n", fixture, maxError);
    assertThat(maxError).as("max abs error of %s", fixture).isLessThan(TOLERANCE);
  }

  private static JsonObject expected(String fixture) {
    Path folder = Fixtures.path(fixture);
    return Fixtures.json(folder.resolve("generate.json"));
  }
}
