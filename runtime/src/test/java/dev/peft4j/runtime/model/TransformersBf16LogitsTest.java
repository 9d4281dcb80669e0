package dev.peft4j.runtime.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.testing.Fixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bf16 forward pass against transformers' own in bf16 (fixtures/MODEL/expected-bf16.json, made by
 * runtime/src/test/python/make_bf16_fixtures.py: {@code dtype=torch.bfloat16}, sdpa attention).
 */
class TransformersBf16LogitsTest {

  /*
   * The same libtorch kernels on the same bf16 inputs, but matrix products whose float32 accumulations may run in
   * another order (a product rounds to bf16, whose step at a logit of 2 to 4 is 2^-6 = 0.0156): measured here on an
   * AVX-512/AVX512-BF16 Xeon, see the printed figures. Allowed: two bf16 steps at the largest logit (4.1).
   */
  private static final double TOLERANCE = 2 * 0.03125;

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {Fixtures.LLAMA, Fixtures.QWEN2, Fixtures.QWEN3, Fixtures.PHI3, Fixtures.GEMMA2, Fixtures.LLAMA3,
      Fixtures.MISTRAL})
  void bf16LogitsMatchTransformersInBf16(String fixture) {
    Path folder = Fixtures.path(fixture);
    JsonObject expected = Fixtures.json(folder.resolve("expected-bf16.json"));
    int[][] ids = Fixtures.ints(expected.getAsJsonArray("input_ids"));
    int[][] mask = Fixtures.ints(expected.getAsJsonArray("attention_mask"));
    CausalLm model = ModelFiles.load(folder, manager, Precision.BF16);
    NDArray logits = model.forward(manager.create(Fixtures.longs(expected.getAsJsonArray("input_ids")),
        new Shape(ids.length, ids[0].length)), mask);
    double error = maxError(logits.toFloatArray(), expected.getAsJsonArray("logits"));
    System.out.printf("%s in bf16: max abs error vs transformers in bf16 %.3g over %d logits%n", fixture, error,
        expected.getAsJsonArray("logits").size());
    assertThat(error).isLessThan(TOLERANCE);
  }

  static double maxError(float[] ours, JsonArray reference) {
    assertThat(ours).hasSize(reference.size());
    double max = 0;
    for (int i = 0; i < ours.length; i++) {
      max = Math.max(max, Math.abs(ours[i] - reference.get(i).getAsDouble()));
    }
    return max;
  }
}
