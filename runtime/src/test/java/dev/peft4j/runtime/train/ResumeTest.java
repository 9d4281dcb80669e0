package dev.peft4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.config.CoreSettings.OnNonFinite;
import dev.peft4j.runtime.config.CoreSettings.Precision;
import dev.peft4j.runtime.config.CoreSettings.Scheduler;
import dev.peft4j.runtime.data.Batch;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run interrupted and resumed from its checkpoint has exactly the loss curve of an uninterrupted one. */
class ResumeTest {

  @TempDir
  Path dir;

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  private static CoreSettings.Training settings(boolean checkpointing) {
    return new CoreSettings.Training(5e-3, 2, 4, 2, Scheduler.COSINE, 2, 0.01, 1.0, 11, Precision.FP32, checkpointing, 1,
        -1, 1, 0, 3, OnNonFinite.STOP, 0.9, 0.999, 1e-8, 0);
  }

  private Trainer trainer(Path out, TrainingData data) {
    return trainer(out, data, dev.peft4j.runtime.nn.Precision.FP32, false);
  }

  /** The model's frozen embeddings stay in the precision's storage dtype (bf16), the rest trains from fp32 masters. */
  private Trainer trainer(Path out, TrainingData data, dev.peft4j.runtime.nn.Precision precision, boolean checkpointing) {
    CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 21, precision);
    model.namedParameters().forEach((name, p) -> p.setTrainable(!name.contains("embed")));
    CoreSettings.Training settings = settings(checkpointing);
    return Trainer.builder(model, settings, manager).train(data)
        .listener(new MetricsLog(out.resolve("metrics.jsonl"), resumedStep(out)))
        .listener(new CheckpointWriter(new FileCheckpoints(out.resolve("checkpoints"), 0), settings.saveSteps())).build();
  }

  private long resumedStep(Path out) {
    return new FileCheckpoints(out.resolve("checkpoints"), 0).latest(manager).map(s -> s.state().step()).orElse(0L);
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0}, checkpointing {1}")
  @org.junit.jupiter.params.provider.CsvSource({"FP32, false", "BF16, false", "BF16, true"})
  void aResumedRunHasTheLossCurveOfAnUninterruptedOne(dev.peft4j.runtime.nn.Precision precision, boolean checkpointing)
      throws IOException {
    CountingData data = new CountingData(6, 4, 10, 40, 3);
    Path straight = dir.resolve("straight");
    Path interrupted = dir.resolve("interrupted");

    trainer(straight, data, precision, checkpointing).run(null);
    assertThatThrownBy(() -> trainer(interrupted, Interruptions.failingAt(data, 8), precision, checkpointing).run(null))
        .hasMessageContaining("went down");
    assertThat(steps(interrupted)).containsExactly("step-000003");
    Checkpoints checkpoints = new FileCheckpoints(interrupted.resolve("checkpoints"), 0);
    trainer(interrupted, data, precision, checkpointing).run(checkpoints.latest(manager).orElseThrow());

    List<Double> expected = Interruptions.losses(straight);
    assertThat(expected).hasSize(6);
    assertThat(Interruptions.losses(interrupted)).containsExactlyElementsOf(expected);
    assertThat(steps(interrupted)).containsExactly("step-000003", "step-000006");
  }

  @Test
  void resumingWithOtherDataIsRefused() {
    Path out = dir.resolve("changed");
    CountingData data = new CountingData(6, 4, 10, 40, 3);
    trainer(out, fingerprinted(data, 1)).run(null);
    Checkpoints.Saved saved = new FileCheckpoints(out.resolve("checkpoints"), 0).latest(manager).orElseThrow();

    assertThatThrownBy(() -> trainer(out, fingerprinted(data, 2)).run(saved))
        .isInstanceOf(TrainingException.class)
        .hasMessageContaining("other training data")
        .hasMessageContaining("start a new output.dir");
  }

  private static TrainingData fingerprinted(TrainingData data, long fingerprint) {
    return new TrainingData() {
      @Override
      public int batchesPerEpoch() {
        return data.batchesPerEpoch();
      }

      @Override
      public Batch batch(int epoch, int index) {
        return data.batch(epoch, index);
      }

      @Override
      public long fingerprint() {
        return fingerprint;
      }
    };
  }

  @Test
  void theNewestCheckpointIsFoundByStepNumberNotByName() {
    FileCheckpoints checkpoints = new FileCheckpoints(dir.resolve("many"), 0);
    java.util.Map<String, ai.djl.ndarray.NDArray> weights = java.util.Map.of("w",
        dev.peft4j.runtime.nn.Tensors.of(manager, new float[] {1}, new ai.djl.ndarray.types.Shape(1)));
    for (long step : new long[] {999_999, 1_000_000}) {
      checkpoints.save(new TrainerState(step, 2_000_000, 11, 0, java.util.Map.of(), 0), weights, java.util.Map.of());
    }

    assertThat(checkpoints.latest(manager).orElseThrow().state().step()).isEqualTo(1_000_000);
  }


  private static List<String> steps(Path out) throws IOException {
    try (Stream<Path> list = Files.list(out.resolve("checkpoints"))) {
      return list.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aNonFiniteLossKeepsTheLastGoodCheckpointAndSaysWhere() {
    CountingData data = new CountingData(6, 4, 10, 40, 3);
    Path out = dir.resolve("nan");
    CausalLm[] model = new CausalLm[1];
    TrainingData poisoned = new TrainingData() {
      @Override
      public int batchesPerEpoch() {
        return data.batchesPerEpoch();
      }

      @Override
      public Batch batch(int epoch, int index) {
        if (epoch * 6 + index == 8) {
          model[0].namedParameters().get("model.norm.weight").data().set(new ai.djl.ndarray.index.NDIndex("0"), Float.NaN);
        }
        return data.batch(epoch, index);
      }
    };
    Trainer trainer = trainer(out, poisoned);
    model[0] = trainer.model();

    assertThatThrownBy(() -> trainer.run(null))
        .isInstanceOf(TrainingException.class)
        .hasMessageContaining("step 5: the loss is not finite")
        .hasMessageContaining("The last good checkpoint is " + out.resolve("checkpoints").resolve("step-000003"));
    assertThat(out.resolve("checkpoints/step-000003/trainable.safetensors")).exists();
  }
}
