package dev.peft4j.runtime.testing;

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
import dev.peft4j.runtime.model.llama.LlamaForCausalLM;
import dev.peft4j.runtime.run.RuntimeMethodContext;
import dev.peft4j.runtime.train.TrainingData;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

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
  public static void full(LlamaForCausalLM model) {
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
