package dev.peft4j.runtime.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.peft4j.runtime.testing.Fixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our logits against Hugging Face transformers' on the same weights and inputs (fixtures made by
 * runtime/src/test/python/make_fixtures.py): Llama with GQA, Qwen2 with q/k/v biases and tied
 * embeddings, Qwen3 with q/k norms and a head size apart from hidden / heads, Llama 3 rope scaling from sharded BF16
 * files, and Mistral with a sliding window (4) shorter than the sequences (9). The batch has a right-padded row.
 */
class TransformersLogitsTest {

  /** fp32 on both sides; the differences left are the order of floating-point sums. */
  private static final double TOLERANCE = 1e-4;

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {Fixtures.LLAMA, Fixtures.QWEN2, Fixtures.QWEN3, Fixtures.PHI3, Fixtures.GEMMA2, Fixtures.LLAMA3, Fixtures.MISTRAL})
  void logitsMatchTransformers(String fixture) {
    Path folder = Fixtures.path(fixture);
    JsonObject expected = Fixtures.json(folder.resolve("expected.json"));
    int[][] ids = Fixtures.ints(expected.getAsJsonArray("input_ids"));
    int[][] mask = Fixtures.ints(expected.getAsJsonArray("attention_mask"));
    long[] flat = Fixtures.longs(expected.getAsJsonArray("input_ids"));

    CausalLm model = ModelFiles.load(folder, manager);
    NDArray logits = model.forward(manager.create(flat, new Shape(ids.length, ids[0].length)), mask);

    JsonArray reference = expected.getAsJsonArray("logits");
    float[] ours = logits.toFloatArray();
    assertThat(ours).hasSize(reference.size());
    double maxError = 0;
    for (int i = 0; i < ours.length; i++) {
      maxError = Math.max(maxError, Math.abs(ours[i] - reference.get(i).getAsDouble()));
    }
    System.out.printf("%s: max abs error vs transformers %.3g over %d logits%n", fixture, maxError, ours.length);
    assertThat(maxError).as("max abs error of %s", fixture).isLessThan(TOLERANCE);
  }
}
