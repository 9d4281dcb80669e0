package dev.peft4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.config.CoreSettings.OnNonFinite;
import dev.peft4j.runtime.config.CoreSettings.Scheduler;
import dev.peft4j.runtime.model.llama.LlamaForCausalLM;
import dev.peft4j.runtime.model.llama.TinyLlamas;
import dev.peft4j.runtime.nn.Parameter;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.TorchOps;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
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

  private Map<String, float[]> weightsAfter(LlamaForCausalLM model, CoreSettings.Training settings) {
    model.namedParameters().values().forEach(p -> p.setTrainable(true));
    new Trainer(model, List.of(), new CountingData(8, 4, 12, 40, 1), new CountingData(2, 4, 12, 40, 99), settings,
        Checkpoints.NONE, new MetricsLog(dir.resolve("metrics-" + settings.gradientCheckpointing() + ".jsonl"), 0),
        new PrintWriter(new ByteArrayOutputStream(), true), false, manager).run(null);
    Map<String, float[]> weights = new LinkedHashMap<>();
    model.namedParameters().forEach((name, p) -> weights.put(name, TorchOps.get().toFloat32(p.data()).toFloatArray()));
    return weights;
  }

  @ParameterizedTest(name = "tied embeddings {0}")
  @ValueSource(booleans = {false, true})
  void checkpointingGivesTheSameTraining(boolean tied) {
    Map<String, float[]> plain = weightsAfter(TinyLlamas.random(manager, TinyLlamas.config("llama", tied), 5), settings(3, false, 1e-2));
    Map<String, float[]> recomputed = weightsAfter(TinyLlamas.random(manager, TinyLlamas.config("llama", tied), 5), settings(3, true, 1e-2));
    assertThat(recomputed.keySet()).isEqualTo(plain.keySet());
    plain.forEach((name, values) -> assertThat(recomputed.get(name)).as(name).containsExactly(values));
  }

  @Test
  void bf16TrainsAndKeepsFrozenWeightsInBf16() {
    LlamaForCausalLM model = TinyLlamas.random(manager, TinyLlamas.config("llama", false), 5, Precision.BF16);
    Parameter frozen = model.namedParameters().get("model.layers.0.mlp.up_proj.weight");
    assertThat(TorchOps.isBf16(frozen.data())).isTrue();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    model.namedParameters().values().forEach(p -> p.setTrainable(true));
    assertThat(frozen.data().getDataType()).isEqualTo(ai.djl.ndarray.types.DataType.FLOAT32);
    Trainer.Result result = new Trainer(model, List.of(), new CountingData(8, 4, 12, 40, 1), new CountingData(2, 4, 12, 40, 99),
        settings(24, true, 1e-2), Checkpoints.NONE, new MetricsLog(dir.resolve("bf16.jsonl"), 0),
        new PrintWriter(output, true), false, manager).run(null);
    assertThat(result.evalLossAfter().getAsDouble()).isLessThan(result.evalLossBefore().getAsDouble() * 0.7);
    frozen.setTrainable(false);
    assertThat(TorchOps.isBf16(frozen.data())).isTrue();
  }
}
