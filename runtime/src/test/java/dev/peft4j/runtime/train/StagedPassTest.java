package dev.peft4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.config.CoreSettings.OnNonFinite;
import dev.peft4j.runtime.config.CoreSettings.Scheduler;
import dev.peft4j.runtime.model.CausalLm;
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
    model.namedParameters().values().forEach(p -> p.setTrainable(true));
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
