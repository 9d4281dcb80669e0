package dev.peft4j.method.galore;


import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.TinyModels;
import dev.peft4j.runtime.testing.BadamRuns;
import dev.peft4j.runtime.train.CountingData;
import dev.peft4j.runtime.train.Trainer;
import dev.peft4j.runtime.train.TrainingData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
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
    BadamRuns.assertResumeIsExact(run, this::model, data, dir, manager);
  }
}
