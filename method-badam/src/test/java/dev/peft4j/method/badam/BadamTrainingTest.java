package dev.peft4j.method.badam;

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
import dev.peft4j.runtime.train.Checkpoints;
import dev.peft4j.runtime.train.CountingData;
import dev.peft4j.runtime.train.FileCheckpoints;
import dev.peft4j.runtime.train.Trainer;
import dev.peft4j.runtime.train.TrainingData;
import dev.peft4j.runtime.train.TrainingException;
import java.io.IOException;
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
class BadamTrainingTest {

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

  private OptimizerHook badam(String settings) {
    return BadamRuns.badam(settings, manager, 11, line -> {});
  }

  /**
   * 12 steps, a checkpoint every 3, interrupted in step 6: the run resumes after step 3, right at a
   * switch (interval 2) or inside a block or window whose optimizer state the checkpoint must bring back
   * (interval 3: BAdam's AdamW state in layer mode, its own sparse state in ratio mode).
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "badam: switch-interval = 2",
      "badam: switch-interval = 3, switch-mode = random",
      "badam: mode = ratio, update-ratio = 0.3, switch-interval = 2",
      "badam: mode = ratio, update-ratio = 0.3, switch-interval = 3, mask-mode = scatter"})
  void aResumedRunEqualsAnUninterruptedOne(String run) throws IOException {
    BadamRuns.assertResumeIsExact(run, this::model, data, dir, manager);
  }

  @Test
  void resumingWithBadamRefusesACheckpointWithoutItsState() {
    Path out = dir.resolve("full");
    trainer(model(), Map.of(), data, out, 1, 3).run(null);
    Checkpoints.Saved saved = new FileCheckpoints(out.resolve("checkpoints"), 0).latest(manager).orElseThrow();

    assertThatThrownBy(() -> trainer(model(), Map.of("badam", badam("switch-interval = 2")), data, out, 1, 3).run(saved))
        .isInstanceOf(TrainingException.class)
        .hasMessageContaining("holds no optimizer state of badam")
        .hasMessageContaining("Start a new output.dir");
  }

  @Test
  void aCheckpointHoldsEveryWeightNotOnlyTheActiveBlock() {
    Path out = dir.resolve("weights");
    trainer(model(), Map.of("badam", badam("switch-interval = 2")), data, out, 1, 3).run(null);
    Checkpoints.Saved saved = new FileCheckpoints(out.resolve("checkpoints"), 0).latest(manager).orElseThrow();

    assertThat(saved.trainable()).containsKeys("model.embed_tokens.weight", "model.layers.0.mlp.up_proj.weight",
        "model.layers.1.mlp.up_proj.weight", "lm_head.weight");
    // only the block active in the last step (block 0: steps 4 and 5; block 1 again at step 6) has AdamW state
    assertThat(saved.state().optimizerSteps().keySet()).allMatch(name -> name.startsWith("model.layers.1."))
        .hasSize(9);
  }

  /** Watches the run from inside: a hook after BAdam that sees each step before the runtime acts on BAdam's choice. */
  private static final class Probe implements OptimizerHook {
    final List<Set<String>> trainable = new ArrayList<>();
    final List<Long> stateBytes = new ArrayList<>();
    final List<Integer> arrays = new ArrayList<>();
    final Map<String, NDArray> lastTrainedArray = new HashMap<>();
    Trainer trainer;
    NDManager manager;

    @Override
    public void beforeStep(StepInfo step, ModelView model) {
      Set<String> now = new TreeSet<>();
      for (ParameterView p : model.parameters()) {
        if (p.trainable()) {
          now.add(p.name());
          lastTrainedArray.put(p.name(), p.data());
        }
      }
      trainable.add(now);
      stateBytes.add(trainer.optimizerStateBytes());
      arrays.add(liveArrays(manager));
    }
  }

  private static int liveArrays(NDManager manager) {
    try {
      Field resources = BaseNDManager.class.getDeclaredField("resources");
      resources.setAccessible(true);
      return ((Map<?, ?>) resources.get(manager)).size();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  private Probe probe(CausalLm model, String settings, int epochs) {
    Probe probe = new Probe();
    Map<String, PeftMethod> methods = new LinkedHashMap<>();
    methods.put("badam", badam(settings));
    methods.put("probe", probe);
    probe.trainer = trainer(model, methods, data, null, epochs, 0);
    probe.manager = manager;
    probe.trainer.run(null);
    return probe;
  }

  @Test
  void onlyTheActiveBlockHoldsOptimizerStateAndGradients() {
    CausalLm model = model();
    Probe probe = probe(model, "switch-interval = 2, include-embedding = true, include-lm-head = true", 1);

    Map<String, Long> sizes = new HashMap<>();
    model.namedParameters().forEach((name, p) -> sizes.put(name, p.size()));
    assertThat(probe.trainable.get(0)).containsOnly("model.embed_tokens.weight");
    assertThat(probe.trainable.get(1)).allMatch(name -> name.startsWith("model.layers.0."));
    assertThat(probe.trainable.get(3)).allMatch(name -> name.startsWith("model.layers.1."));
    assertThat(probe.trainable.get(5)).containsOnly("model.norm.weight", "lm_head.weight");
    for (int step = 1; step < probe.trainable.size(); step++) {
      // before step s the state is that of the block of step s - 1: two fp32 moments a value, nothing else
      long expected = 8 * probe.trainable.get(step - 1).stream().mapToLong(sizes::get).sum();
      assertThat(probe.stateBytes.get(step)).as("optimizer state before step %d", step + 1).isEqualTo(expected);
    }
    // every parameter that trained and then stopped had its array, and with it its gradient, freed
    Set<String> last = probe.trainable.get(probe.trainable.size() - 1);
    probe.lastTrainedArray.forEach((name, array) -> {
      if (!last.contains(name)) {
        assertThat(array.isReleased()).as("the array %s trained with is freed", name).isTrue();
        assertThat(model.namedParameters().get(name).data()).isNotSameAs(array);
        assertThat(model.namedParameters().get(name).data().hasGradient()).isFalse();
      }
    });
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"switch-interval = 1, switch-mode = random",
      "mode = ratio, update-ratio = 0.2, switch-interval = 1, mask-mode = scatter"})
  void memoryStaysFlatOverManySwitches(String settings) {
    Probe probe = probe(model(), settings, 5);

    // 30 steps, a switch before each (measured: 21 arrays, then 39 in layer mode, 25 in ratio mode, every step)
    List<Integer> later = probe.arrays.subList(10, probe.arrays.size());
    assertThat(later).hasSize(20).containsOnly(later.get(0));
  }

  @Test
  void ratioModeUpdatesItsShareOfEachTensorAndMovesOn() {
    CausalLm model = model();
    Map<String, float[]> before = values(model);
    trainer(model, Map.of("badam", badam("mode = ratio, update-ratio = 0.25, switch-interval = 1, mask-mode = scatter")),
        oneBatchASteps(1), null, 1, 0).run(null);
    Map<String, float[]> afterOne = values(model);

    assertThat(changed(before, afterOne, "model.embed_tokens.weight")).isZero();
    assertThat(changed(before, afterOne, "lm_head.weight")).isZero();
    assertThat(changed(before, afterOne, "model.layers.0.self_attn.q_proj.weight")).isEqualTo(64);  // 256 values
    assertThat(changed(before, afterOne, "model.layers.1.mlp.down_proj.weight")).isEqualTo(128);   // 512 values
    assertThat(changed(before, afterOne, "model.layers.0.input_layernorm.weight")).isEqualTo(16);  // small: whole
  }

  @Test
  void ratioModeWindowsAreDisjointWithinAPass() {
    CausalLm model = model();
    List<Map<String, float[]>> snapshots = new ArrayList<>();
    snapshots.add(values(model));
    OptimizerHook badam = badam("mode = ratio, update-ratio = 0.25, switch-interval = 1, mask-mode = scatter");
    OptimizerHook snapshot = new OptimizerHook() {
      @Override
      public void beforeStep(StepInfo step, ModelView view) {
        if (step.step() > 0) {
          snapshots.add(values(model));
        }
      }
    };
    Map<String, PeftMethod> methods = new LinkedHashMap<>();
    methods.put("badam", badam);
    methods.put("snapshot", snapshot);
    trainer(model, methods, oneBatchASteps(4), null, 1, 0).run(null);
    snapshots.add(values(model));

    Set<Integer> seen = new TreeSet<>();
    for (int step = 0; step < 4; step++) {
      float[] was = snapshots.get(step).get("model.layers.0.mlp.up_proj.weight");
      float[] is = snapshots.get(step + 1).get("model.layers.0.mlp.up_proj.weight");
      int count = 0;
      for (int i = 0; i < is.length; i++) {
        if (was[i] != is[i]) {
          count++;
          assertThat(seen.add(i)).as("entry %d updated in two windows of a pass", i).isTrue();
        }
      }
      assertThat(count).as("window %d", step).isEqualTo(128);
    }
    assertThat(seen).hasSize(512);
  }

  private TrainingData oneBatchASteps(int steps) {
    return new TrainingData() {
      @Override
      public int batchesPerEpoch() {
        return steps;
      }

      @Override
      public Batch batch(int epoch, int index) {
        return data.batch(epoch, index);
      }
    };
  }

  private static Map<String, float[]> values(CausalLm model) {
    Map<String, float[]> values = new HashMap<>();
    model.namedParameters().forEach((name, p) -> values.put(name, p.data().toFloatArray()));
    return values;
  }

  private static int changed(Map<String, float[]> before, Map<String, float[]> after, String name) {
    int count = 0;
    for (int i = 0; i < before.get(name).length; i++) {
      count += before.get(name)[i] != after.get(name)[i] ? 1 : 0;
    }
    return count;
  }

  private List<String> printed(String settings, int steps) {
    List<String> lines = new ArrayList<>();
    Consumer<String> reporter = lines::add;
    OptimizerHook badam = BadamRuns.badam(settings, manager, 11, reporter);
    trainer(model(), Map.of("badam", badam), oneBatchASteps(steps), null, 1, 0).run(null);
    return lines;
  }

  @Test
  void verboseZeroPrintsNothing() {
    assertThat(printed("switch-interval = 1, verbose = 0", 3)).isEmpty();
    assertThat(printed("mode = ratio, switch-interval = 1, verbose = 0", 3)).isEmpty();
  }

  @Test
  void verboseOnePrintsTheActiveBlockAtEachSwitch() {
    assertThat(printed("switch-interval = 2, verbose = 1", 4)).containsExactly(
        "badam step 1 (block 0 of 2): Parameters with the following prefix will be trainable: ['model.layers.0.']",
        "badam step 2 (block 1 of 2): Parameters with the following prefix will be trainable: ['model.layers.1.']",
        "badam step 4 (block 0 of 2): Parameters with the following prefix will be trainable: ['model.layers.0.']");
    assertThat(printed("switch-interval = 1, switch-mode = random, verbose = 1", 3))
        .hasSize(5).first().asString().matches("badam: block order of pass 1: \\[[01], [01]\\]");
  }

  @Test
  void verboseTwoAlsoNamesTheParametersThatTrain() {
    List<String> lines = printed("switch-interval = -1, switch-mode = descending, verbose = 2", 2);

    assertThat(lines).hasSize(10);
    assertThat(lines.get(0)).endsWith("['model.layers.1.']");
    assertThat(lines.subList(1, 10)).contains("  model.layers.1.self_attn.q_proj.weight",
        "  model.layers.1.post_attention_layernorm.weight").allMatch(line -> line.startsWith("  model.layers.1."));
  }

  @Test
  void ratioModeSaysWhatUpdatesAtEachWindow() {
    List<String> one = printed("mode = ratio, update-ratio = 0.25, switch-interval = 2, verbose = 1", 3);
    List<String> two = printed("mode = ratio, update-ratio = 0.25, switch-interval = 2, verbose = 2", 1);

    assertThat(one).containsExactly(
        "badam steps 1 to 2 (ratio mode, window 0): each tensor of 100 or more values updates 25% of its entries "
            + "(adjacent); smaller ones update whole; 19 tensors train",
        "badam steps 3 to 4 (ratio mode, window 1): each tensor of 100 or more values updates 25% of its entries "
            + "(adjacent); smaller ones update whole; 19 tensors train");
    assertThat(two).contains("  model.layers.0.self_attn.q_proj.weight: 64 of 256 entries from position 0",
        "  model.norm.weight: all 16 entries").hasSize(20);
  }
}
