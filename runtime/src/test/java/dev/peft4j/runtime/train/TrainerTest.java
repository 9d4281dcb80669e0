package dev.peft4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.config.CoreSettings.OnNonFinite;
import dev.peft4j.runtime.config.CoreSettings.Precision;
import dev.peft4j.runtime.config.CoreSettings.Scheduler;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.TinyModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {

  @TempDir
  Path dir;

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();
  private final ByteArrayOutputStream output = new ByteArrayOutputStream();

  @AfterEach
  void close() {
    manager.close();
  }

  static CoreSettings.Training settings(int epochs, int accumulation, double lr, OnNonFinite onNonFinite) {
    return new CoreSettings.Training(lr, epochs, 4, accumulation, Scheduler.COSINE, 2, 0.0, 1.0, 7, Precision.FP32, false, 1,
        -1, 5, 0, 0, onNonFinite, 0.9, 0.999, 1e-8, 0);
  }

  private Trainer trainer(CausalLm model, CoreSettings.Training settings) {
    return builder(model, settings).build();
  }

  /** A full fine-tuning trainer of {@code model} with the console and metrics.jsonl as listeners. */
  private Trainer.Builder builder(CausalLm model, CoreSettings.Training settings) {
    model.namedParameters().values().forEach(p -> p.setTrainable(true));
    return Trainer.builder(model, settings, manager).train(new CountingData(8, 4, 12, 40, 1))
        .eval(new CountingData(2, 4, 12, 40, 99)).listener(new Progress(new PrintWriter(output, true), false))
        .listener(new MetricsLog(dir.resolve("metrics.jsonl"), 0));
  }

  @Test
  void fullFineTuningLowersTheEvalLoss() throws Exception {
    CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 5);

    Trainer.Result result = trainer(model, settings(6, 1, 1e-2, OnNonFinite.STOP)).run(null);

    assertThat(result.steps()).isEqualTo(48);
    assertThat(result.evalLossAfter().getAsDouble()).isLessThan(result.evalLossBefore().getAsDouble() * 0.5);
    assertThat(MetricsLog.read(dir.resolve("metrics.jsonl")))
        .anySatisfy(line -> assertThat(line.has("loss")).isTrue())
        .anySatisfy(line -> assertThat(line.has("eval_perplexity")).isTrue());
    assertThat(output.toString()).contains("step 5/48", "eval loss");
  }

  @Test
  void aTrainedModelContinuesTheCountGreedily() {
    CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 5);
    trainer(model, settings(6, 1, 1e-2, OnNonFinite.STOP)).run(null);

    int[] generated = new dev.peft4j.runtime.generate.Generator(model, manager)
        .generate(new int[] {5, 6, 7, 8}, 39, dev.peft4j.runtime.generate.Generator.Sampling.greedy(4));

    assertThat(generated).containsExactly(9, 10, 11, 12);
  }

  /** A hook that only asks for layer-wise stepping: the runtime's AdamW then steps each stage during the backward pass. */
  private static final dev.peft4j.api.OptimizerHook LAYERWISE = new dev.peft4j.api.OptimizerHook() {
    @Override
    public boolean stepsDuringBackward() {
      return true;
    }
  };

  @org.junit.jupiter.params.ParameterizedTest(name = "tied embeddings {0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void steppingLayerByLayerDuringTheBackwardPassEqualsTheWholeStep(boolean tied) {
    CausalLm whole = TinyModels.random(manager, TinyModels.config("llama", tied), 5);
    CausalLm layerwise = TinyModels.random(manager, TinyModels.config("llama", tied), 5);
    CoreSettings.Training noClipping = new CoreSettings.Training(1e-2, 1, 4, 1, Scheduler.COSINE, 2, 0.1, 0.0, 7,
        Precision.FP32, false, 1, -1, 5, 0, 0, OnNonFinite.STOP, 0.9, 0.999, 1e-8, 0);

    trainer(whole, noClipping).run(null);
    layerwise.namedParameters().values().forEach(p -> p.setTrainable(true));
    Trainer.builder(layerwise, noClipping, manager).methods(java.util.List.of(LAYERWISE))
        .train(new CountingData(8, 4, 12, 40, 1)).build().run(null);

    // The embeddings of a tied model get gradient from the head and from the input: they step last, once.
    whole.namedParameters().forEach((name, p) -> assertThat(layerwise.namedParameters().get(name).data().toFloatArray())
        .as(name).containsExactly(p.data().toFloatArray()));
  }

  @Test
  void layerwiseSteppingRefusesGradientAccumulation() {
    CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 5);
    model.namedParameters().values().forEach(p -> p.setTrainable(true));

    assertThatThrownBy(() -> Trainer.builder(model, settings(1, 2, 1e-3, OnNonFinite.STOP), manager)
        .methods(java.util.List.of(LAYERWISE)).train(new CountingData(8, 4, 12, 40, 1)).build())
        .isInstanceOf(TrainingException.class)
        .hasMessageContaining("gradient-accumulation-steps = 1");
  }

  @Test
  void gradientAccumulationTakesFewerSteps() {
    CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 5);

    assertThat(trainer(model, settings(2, 4, 1e-3, OnNonFinite.STOP)).totalSteps()).isEqualTo(4);
  }

  @Test
  void aNonFiniteLossStopsTheRunWithAClearMessage() {
    CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 5);
    model.namedParameters().get("model.norm.weight").data().set(new ai.djl.ndarray.index.NDIndex("0"), Float.NaN);

    assertThatThrownBy(() -> trainer(model, settings(1, 1, 1e-3, OnNonFinite.STOP)).run(null))
        .isInstanceOf(TrainingException.class)
        .hasMessageContaining("step 1: the loss is not finite (NaN)")
        .hasMessageContaining("training.on-nonfinite = skip");
  }

  @Test
  void nonFiniteStepsCanBeSkippedAndCounted() throws Exception {
    CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 5);
    model.namedParameters().get("model.norm.weight").data().set(new ai.djl.ndarray.index.NDIndex("0"), Float.NaN);

    Trainer.Result result = trainer(model, settings(1, 1, 1e-3, OnNonFinite.SKIP)).run(null);

    assertThat(result.skippedSteps()).isEqualTo(8);
    Path plot = dir.resolve("loss.png");
    LossPlot.write(dir.resolve("metrics.jsonl"), plot, "skipped steps");
    assertThat(plot).exists();
    assertThat(output.toString()).contains("loss is not finite; step skipped (8 so far)");
  }
}
