package dev.peft4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.config.CoreSettings.OnNonFinite;
import dev.peft4j.runtime.config.CoreSettings.Scheduler;
import dev.peft4j.runtime.data.Batch;
import dev.peft4j.runtime.data.BatchArrays;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelStages;
import dev.peft4j.runtime.model.Recomputed;
import dev.peft4j.runtime.model.TinyModels;
import dev.peft4j.runtime.nn.Parameter;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.TorchOps;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The trainer's staged pass: gradient checkpointing changes nothing but memory; bf16 trains. */
class StagedPassTest {

  @TempDir
  Path dir;

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  static CoreSettings.Training settings(int steps, boolean checkpointing, double lr) {
    return new CoreSettings.Training(lr, 4, 4, 2, Scheduler.COSINE, 2, 0.0, 1.0, 7, CoreSettings.Precision.FP32,
        checkpointing, 1, steps, 1, 0, 0, OnNonFinite.STOP, 0.9, 0.999, 1e-8, 0);
  }

  private Map<String, float[]> weightsAfter(CausalLm model, CoreSettings.Training settings) {
    return weightsAfter(model, settings, name -> true);
  }

  private Map<String, float[]> weightsAfter(CausalLm model, CoreSettings.Training settings,
      java.util.function.Predicate<String> trains) {
    model.namedParameters().forEach((name, p) -> p.setTrainable(trains.test(name)));
    Trainer.builder(model, settings, manager).train(new CountingData(8, 4, 12, 40, 1))
        .eval(new CountingData(2, 4, 12, 40, 99)).build().run(null);
    Map<String, float[]> weights = new LinkedHashMap<>();
    model.namedParameters().forEach((name, p) -> weights.put(name, TorchOps.get().toFloat32(p.data()).toFloatArray()));
    return weights;
  }

  @ParameterizedTest(name = "tied embeddings {0}")
  @ValueSource(booleans = {false, true})
  void checkpointingGivesTheSameTraining(boolean tied) {
    Map<String, float[]> plain = weightsAfter(TinyModels.random(manager, TinyModels.config("llama", tied), 5), settings(3, false, 1e-2));
    Map<String, float[]> recomputed = weightsAfter(TinyModels.random(manager, TinyModels.config("llama", tied), 5), settings(3, true, 1e-2));
    assertThat(recomputed.keySet()).isEqualTo(plain.keySet());
    plain.forEach((name, values) -> assertThat(recomputed.get(name)).as(name).containsExactly(values));
  }

  /**
   * Each layer's last product frozen (as under LoRA on the attention): the recomputation leaves that product out
   * and starts the backward pass from its input ({@link dev.peft4j.runtime.model.Recomputed}).
   */
  @Test
  void checkpointingWithoutTheFrozenLastProductsGivesTheSameTraining() {
    java.util.function.Predicate<String> trains = name -> !name.contains("mlp.down_proj");
    Map<String, float[]> plain = weightsAfter(TinyModels.random(manager, TinyModels.config("llama", false), 5),
        settings(3, false, 1e-2), trains);
    Map<String, float[]> recomputed = weightsAfter(TinyModels.random(manager, TinyModels.config("llama", false), 5),
        settings(3, true, 1e-2), trains);
    assertThat(recomputed.keySet()).isEqualTo(plain.keySet());
    plain.forEach((name, values) -> assertThat(recomputed.get(name)).as(name).containsExactly(values));
    assertThat(plain.get("model.layers.0.self_attn.q_proj.weight"))
        .isNotEqualTo(TinyModels.random(manager, TinyModels.config("llama", false), 5).namedParameters()
            .get("model.layers.0.self_attn.q_proj.weight").data().toFloatArray());
  }

  /** QLoRA's case: every layer's products on a 4-bit base, so each layer is recomputed without its {@code down_proj}. */
  @Test
  void checkpointingOnA4BitBaseGivesTheSameTraining() {
    // everything but the 4-bit codes and scales of the layers' products, which never train
    java.util.function.Predicate<String> trains = name -> !name.contains("_proj.");
    Map<String, float[]> plain = weightsAfter(quantized(), settings(3, false, 1e-2), trains);
    Map<String, float[]> recomputed = weightsAfter(quantized(), settings(3, true, 1e-2), trains);
    assertThat(recomputed.keySet()).isEqualTo(plain.keySet()).contains("model.layers.0.input_layernorm.weight");
    plain.forEach((name, values) -> assertThat(recomputed.get(name)).as(name).containsExactly(values));
  }

  private CausalLm quantized() {
    CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 5);
    dev.peft4j.runtime.nn.Module layers = model.modules().child("model").child("layers");
    layers.children().values().forEach(layer -> dev.peft4j.runtime.nn.Nf4Linear.quantizeLinears(layer, manager, false));
    assertThat(layers.children().values().iterator().next().child("mlp").child("down_proj"))
        .isInstanceOf(dev.peft4j.runtime.nn.Nf4Linear.class);
    return model;
  }

  @Test
  void aLayerIsRecomputedWithoutItsLastProductOnlyWhenThatProductIsFrozen() {
    CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 5);
    Batch batch = new CountingData(1, 2, 8, 40, 3).batch(0, 0);
    try (NDScope scope = new NDScope()) {
      BatchArrays arrays = batch.toNDArrays(manager);
      ModelStages stages = model.stages(arrays.inputIds(), batch.attentionMask());
      NDArray hidden = stages.forward(0, arrays.inputIds());
      model.namedParameters().values().forEach(p -> p.setTrainable(true));
      assertThat(stages.recompute(1, hidden).tail()).isNull();
      model.namedParameters().get("model.layers.0.mlp.down_proj.weight").setTrainable(false);
      Recomputed again = stages.recompute(1, hidden);
      assertThat(again.tail()).isNotNull();
      // the output is the residual stream plus the left-out product of the tail
      float[] whole = stages.forward(1, hidden).toFloatArray();
      float[] summed = again.output().add(again.product().forward(again.tail())).toFloatArray();
      assertThat(summed).containsExactly(whole);
      assertThat(stages.recompute(0, arrays.inputIds()).tail()).isNull();
    }
  }

  /**
   * The loss and every gradient of one micro-batch, the head run on chunks of at most {@code headRows} positions and
   * the loss on parts of at most {@code partRows}.
   */
  private Map<String, float[]> gradientsWithChunks(Precision precision, long headRows, long partRows, double[] losses) {
    CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 5, precision);
    model.namedParameters().values().forEach(p -> p.setTrainable(true));
    Batch batch = new CountingData(1, 4, 12, 40, 3).batch(0, 0);
    long vocabulary = model.config().vocabSize();
    StagedPass pass = new StagedPass(manager.getEngine(), false, (int) vocabulary, headRows * vocabulary,
        partRows * vocabulary);
    try (NDScope scope = new NDScope()) {
      BatchArrays arrays = batch.toNDArrays(manager);
      losses[0] = pass.train(model.stages(arrays.inputIds(), batch.attentionMask()), arrays.inputIds(), batch, 0, 1.0,
          11, stage -> { }).sum();
      losses[1] = pass.evaluate(model.stages(arrays.inputIds(), batch.attentionMask()), arrays.inputIds(), batch).sum();
    }
    Map<String, float[]> gradients = new LinkedHashMap<>();
    model.namedParameters().forEach((name, p) -> gradients.put(name, p.data().getGradient().toFloatArray()));
    return gradients;
  }

  /**
   * The batch's 42 counted positions (11 in each of three rows, 9 in the padded one): in head chunks of 4 (11 chunks,
   * the last of 2) each one part of the loss; in one head product with the loss in parts of 4; in head chunks of 12
   * (12, 12, 12, 6) with the loss in parts of 5 (each chunk's last part shorter).
   */
  @ParameterizedTest
  @CsvSource({"4, 4", "1000, 4", "12, 5"})
  void theLossInManyChunksGivesTheLossAndGradientsOfOne(long headRows, long partRows) {
    double[] whole = new double[2];
    double[] chunked = new double[2];
    Map<String, float[]> one = gradientsWithChunks(Precision.FP32, 1000, 1000, whole);
    Map<String, float[]> many = gradientsWithChunks(Precision.FP32, headRows, partRows, chunked);
    // Summed over chunks rather than at once: float32 sums in another order, a few ulps of the total apart.
    assertThat(chunked[0]).isCloseTo(whole[0], within(1e-5 * whole[0]));
    assertThat(chunked[1]).isCloseTo(whole[1], within(1e-5 * whole[1]));
    assertThat(chunked[1]).isCloseTo(chunked[0], within(1e-5 * whole[0]));
    // The head's weight gradient adds the chunks' contributions one after the other: again only the order of
    // float32 sums differs, so the difference is a few ulps of the largest entry.
    assertSameGradients(many, one);
  }

  /**
   * bf16's own path: one bf16 product with the head, the float32 loss and the logits' gradient taken in parts of it
   * (bf16 slices and their concatenation, which DJL cannot name), then one backward pass through the head.
   */
  @Test
  void bf16LossInPartsOfOneHeadProductGivesTheGradientsOfOnePart() {
    double[] whole = new double[2];
    double[] parts = new double[2];
    Map<String, float[]> one = gradientsWithChunks(Precision.BF16, 1000, 1000, whole);
    Map<String, float[]> many = gradientsWithChunks(Precision.BF16, 1000, 4, parts);
    // The same bf16 logits and, row by row, the same float32 loss: only the order of the loss's float32 sum differs.
    assertThat(parts[0]).isCloseTo(whole[0], within(1e-5 * whole[0]));
    assertThat(parts[1]).isCloseTo(parts[0], within(1e-5 * whole[0]));
    // The same logits, each row's same logit gradient and one backward pass through the head in both: the gradients
    // are the same to the bit, and not zero (zeros would be equal too).
    assertThat(many.keySet()).isEqualTo(one.keySet());
    one.forEach((name, values) -> {
      assertThat(values).as(name).isNotEqualTo(new float[values.length]);
      assertThat(many.get(name)).as(name).containsExactly(values);
    });
  }

  private static void assertSameGradients(Map<String, float[]> actual, Map<String, float[]> expected) {
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    expected.forEach((name, values) -> {
      float[] other = actual.get(name);
      float scale = 0;
      for (float v : values) {
        scale = Math.max(scale, Math.abs(v));
      }
      assertThat(scale).as(name).isPositive();
      for (int i = 0; i < values.length; i++) {
        assertThat(other[i]).as(name + "[" + i + "]").isCloseTo(values[i], within(1e-5f * scale));
      }
    });
  }

  @Test
  void bf16TrainsAndKeepsFrozenWeightsInBf16() {
    CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 5, Precision.BF16);
    Parameter frozen = model.namedParameters().get("model.layers.0.mlp.up_proj.weight");
    assertThat(TorchOps.isBf16(frozen.data())).isTrue();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    model.namedParameters().values().forEach(p -> p.setTrainable(true));
    assertThat(frozen.data().getDataType()).isEqualTo(ai.djl.ndarray.types.DataType.FLOAT32);
    Trainer.Result result = Trainer.builder(model, settings(24, true, 1e-2), manager)
        .train(new CountingData(8, 4, 12, 40, 1)).eval(new CountingData(2, 4, 12, 40, 99))
        .listener(new Progress(new PrintWriter(output, true), false)).build().run(null);
    assertThat(result.evalLossAfter().getAsDouble()).isLessThan(result.evalLossBefore().getAsDouble() * 0.7);
    frozen.setTrainable(false);
    assertThat(TorchOps.isBf16(frozen.data())).isTrue();
  }
}
