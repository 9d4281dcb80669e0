package dev.peft4j.method.galore;

import dev.peft4j.runtime.train.TrainingException;
import dev.peft4j.runtime.train.Checkpoints;
import dev.peft4j.runtime.train.TrainingData;
import dev.peft4j.runtime.train.Trainer;
import dev.peft4j.runtime.train.FileCheckpoints;
import dev.peft4j.runtime.train.Interruptions;
import dev.peft4j.runtime.train.CountingData;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.api.OptimizerHook;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.model.ModelView;
import dev.peft4j.api.model.ParameterView;
import dev.peft4j.runtime.data.Batch;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.TinyModels;
import dev.peft4j.runtime.testing.BadamRuns;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** BAdam in the training loop (and GaLore where both are optimizer hooks): resume, what it holds between switches, memory, and what it prints. */
class GaloreResumeTest {

  @TempDir
  Path dir;

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();
  private final CountingData data = new CountingData(6, 4, 10, 40, 3);

  @AfterEach
  void close() {
    manager.close();
  }

  private CausalLm model() {
    CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 21);
    BadamRuns.full(model);
    return model;
  }

  private Trainer trainer(CausalLm model, Map<String, PeftMethod> methods, TrainingData data, Path out,
      int epochs, int saveSteps) {
    return BadamRuns.trainer(model, methods, data, out, dir, epochs, saveSteps, manager);
  }

  /**
   * 12 steps, a checkpoint every 3, interrupted in step 6: the run resumes after step 3, between projector
   * updates (at steps 0, 2, 4…), so its projectors and projected moments must come back.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "galore: rank = 4, update-interval = 2, target = [mlp]",
      "galore: rank = 4, update-interval = 2, proj-type = full, svd = exact",
      "galore: rank = 4, update-interval = 2, layerwise = true"})
  void aResumedRunEqualsAnUninterruptedOne(String run) throws IOException {
    String id = run.substring(0, run.indexOf(':'));
    String settings = run.substring(id.length() + 1);
    Path straight = dir.resolve("straight");
    Path interrupted = dir.resolve("interrupted");
    CausalLm uninterrupted = model();
    trainer(uninterrupted, Map.of(id, BadamRuns.hook(id, settings, manager, 11, line -> {})), data, straight, 2, 3).run(null);
    assertThatThrownBy(() -> trainer(model(), Map.of(id, BadamRuns.hook(id, settings, manager, 11, line -> {})),
        Interruptions.failingAt(data, 5), interrupted, 2, 3)
        .run(null)).hasMessageContaining("went down");

    CausalLm resumed = model();
    Checkpoints.Saved saved = new FileCheckpoints(interrupted.resolve("checkpoints"), 0).latest(manager).orElseThrow();
    assertThat(saved.state().step()).isEqualTo(3);
    assertThat(saved.state().hooks()).containsExactly(id);
    trainer(resumed, Map.of(id, BadamRuns.hook(id, settings, manager, 11, line -> {})), data, interrupted, 2, 3).run(saved);

    assertThat(Interruptions.losses(interrupted)).hasSize(12).containsExactlyElementsOf(Interruptions.losses(straight));
    uninterrupted.namedParameters().forEach((name, p) -> assertThat(resumed.namedParameters().get(name).data()
        .toFloatArray()).as(name).containsExactly(p.data().toFloatArray()));
  }
}
