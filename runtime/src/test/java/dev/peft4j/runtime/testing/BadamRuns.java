package dev.peft4j.runtime.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.OptimizerHook;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.config.CoreSettings.OnNonFinite;
import dev.peft4j.runtime.config.CoreSettings.Precision;
import dev.peft4j.runtime.config.CoreSettings.Scheduler;
import dev.peft4j.runtime.data.Batch;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.setup.RuntimeMethodContext;
import dev.peft4j.runtime.train.CheckpointWriter;
import dev.peft4j.runtime.train.Checkpoints;
import dev.peft4j.runtime.train.FileCheckpoints;
import dev.peft4j.runtime.train.Interruptions;
import dev.peft4j.runtime.train.MetricsLog;
import dev.peft4j.runtime.train.Trainer;
import dev.peft4j.runtime.train.TrainingData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** BAdam created through its plugin as a run creates it, and the fixed batches of fixtures/badam. */
public final class BadamRuns {

  private BadamRuns() {}

  /** BAdam with {@code settings} (HOCON inside {@code peft4j.badam { }}), reporting to {@code reporter}. */
  public static OptimizerHook badam(String settings, NDManager manager, long seed, Consumer<String> reporter) {
    return hook("badam", settings, manager, seed, reporter);
  }

  /** The optimizer hook {@code id} with {@code settings} (HOCON inside {@code peft4j.<id> { }}). */
  public static OptimizerHook hook(String id, String settings, NDManager manager, long seed, Consumer<String> reporter) {
    MethodFactory<?> factory = Runs.discovery().methods().get(id).factory();
    SettingsReader reader = new SettingsReader(ConfigFactory.parseString("peft4j." + id + " { " + settings + " }")
        .withFallback(Runs.discovery().reference()).resolve(), "peft4j." + id);
    Object read = factory.readSettings(reader);
    if (!reader.problems().isEmpty()) {
      throw new IllegalArgumentException(reader.problems().toString());
    }
    return (OptimizerHook) create(factory, read, new RuntimeMethodContext(manager, seed, reporter));
  }

  @SuppressWarnings("unchecked")
  private static <S> PeftMethod create(MethodFactory<S> factory, Object settings, RuntimeMethodContext context) {
    return factory.create((S) settings, context);
  }

  /** The {@code full} selector: every parameter may train. */
  public static void full(CausalLm model) {
    model.namedParameters().values().forEach(p -> p.setTrainable(true));
  }

  public static CoreSettings.Training training(double learningRate, int epochs, double maxGradNorm, long seed, int saveSteps) {
    return training(learningRate, epochs, maxGradNorm, seed, saveSteps, 1e-8);
  }

  /** As {@link #training(double, int, double, long, int)}, with AdamW's epsilon. */
  public static CoreSettings.Training training(double learningRate, int epochs, double maxGradNorm, long seed, int saveSteps,
      double adamEpsilon) {
    return new CoreSettings.Training(learningRate, epochs, 2, 1, Scheduler.CONSTANT, 0, 0.0, maxGradNorm, seed,
        Precision.FP32, false, 1, -1, 1, 0, saveSteps, OnNonFinite.STOP, 0.9, 0.999, adamEpsilon, 0);
  }

  /**
   * A trainer of {@code model} with an optimizer hook's run settings ({@link #training}): metrics.jsonl in {@code out}
   * (or in {@code scratch} when {@code out} is null, then no checkpoint is written) and, with {@code out}, checkpoints
   * every {@code saveSteps}; when {@code out} holds checkpoints, the metrics of a resumed run continue its log.
   */
  public static Trainer trainer(CausalLm model, Map<String, PeftMethod> methods, TrainingData data, Path out, Path scratch,
      int epochs, int saveSteps, NDManager manager) {
    Checkpoints checkpoints = out == null ? Checkpoints.NONE : new FileCheckpoints(out.resolve("checkpoints"), 0);
    long resumed = out == null ? 0 : checkpoints.latest(manager).map(s -> s.state().step()).orElse(0L);
    CoreSettings.Training settings = training(5e-3, epochs, 1.0, 11, saveSteps);
    return Trainer.builder(model, settings, manager).methods(methods).train(data)
        .listener(new MetricsLog((out == null ? scratch : out).resolve("metrics.jsonl"), resumed))
        .listener(new CheckpointWriter(checkpoints, saveSteps)).build();
  }

  /**
   * Trains {@code run} ("ID: SETTINGS", the hook's id and its HOCON) on {@code data} for 2 epochs with a checkpoint
   * every 3 steps, once straight and once interrupted in step 6 and resumed from step 3, and asserts that both give
   * the same losses and the same weights, bit for bit.
   */
  public static void assertResumeIsExact(String run, Supplier<CausalLm> model, TrainingData data, Path dir,
      NDManager manager) throws IOException {
    String id = run.substring(0, run.indexOf(':'));
    String settings = run.substring(id.length() + 1);
    Path straight = dir.resolve("straight");
    Path interrupted = dir.resolve("interrupted");
    CausalLm uninterrupted = model.get();
    trainer(uninterrupted, Map.of(id, hook(id, settings, manager, 11, line -> {})), data, straight, dir, 2, 3, manager)
        .run(null);
    assertThatThrownBy(() -> trainer(model.get(), Map.of(id, hook(id, settings, manager, 11, line -> {})),
        Interruptions.failingAt(data, 5), interrupted, dir, 2, 3, manager).run(null)).hasMessageContaining("went down");

    CausalLm resumed = model.get();
    Checkpoints.Saved saved = new FileCheckpoints(interrupted.resolve("checkpoints"), 0).latest(manager).orElseThrow();
    assertThat(saved.state().step()).isEqualTo(3);
    assertThat(saved.state().hooks()).containsExactly(id);
    trainer(resumed, Map.of(id, hook(id, settings, manager, 11, line -> {})), data, interrupted, dir, 2, 3, manager)
        .run(saved);

    assertThat(Interruptions.losses(interrupted)).hasSize(12).containsExactlyElementsOf(Interruptions.losses(straight));
    uninterrupted.namedParameters().forEach((name, p) -> assertThat(resumed.namedParameters().get(name).data()
        .toFloatArray()).as(name).containsExactly(p.data().toFloatArray()));
  }

  /** The batches of fixtures/badam/batches.json, one an optimizer step, in order. */
  public static TrainingData fixtureBatches() {
    JsonObject json = Fixtures.json(Fixtures.path("badam/batches.json"));
    List<Batch> batches = new ArrayList<>();
    for (JsonElement element : json.getAsJsonArray("batches")) {
      JsonObject batch = element.getAsJsonObject();
      batches.add(new Batch(Fixtures.ints(batch.getAsJsonArray("input_ids")), Fixtures.ints(batch.getAsJsonArray("labels")),
          Fixtures.ints(batch.getAsJsonArray("attention_mask"))));
    }
    return new TrainingData() {
      @Override
      public int batchesPerEpoch() {
        return batches.size();
      }

      @Override
      public Batch batch(int epoch, int index) {
        return batches.get(index);
      }
    };
  }
}
