package dev.peft4j.runtime.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.peft4j.api.plan.OptimizerCost;
import dev.peft4j.api.plan.ParameterShape;
import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.model.ModelConfigException;
import dev.peft4j.runtime.model.ModelFamilies;
import dev.peft4j.runtime.testing.Fixtures;
import dev.peft4j.runtime.testing.Runs;
import dev.peft4j.runtime.testing.TestPlugins;
import dev.peft4j.runtime.validate.ValidationReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the planner prices runs on the test model (Runs: hidden 64, 4 heads / 2 key-value heads,
 * intermediate 172, vocabulary 512, 2 layers), each property checked against what it must equal.
 */
class PlannerTest {

  @TempDir
  Path dir;

  private Runs runs;

  @BeforeEach
  void setUp() {
    runs = new Runs(dir);
  }

  private RunPlan plan(String... lines) {
    ValidationReport report = runs.validate(lines);
    assertThat(report.problems()).isEmpty();
    return Planner.plan(report, Runs.discovery());
  }

  private static MemoryEstimate memory(RunPlan plan) {
    return plan.memory().orElseThrow();
  }

  @Test
  void fullTrainingHoldsAGradientTwoMomentsAndAdamWsScratchPerWeight() {
    RunPlan plan = plan("methods = [full]");
    long values = plan.shape().size();
    MemoryEstimate m = memory(plan);

    assertThat(plan.counts().orElseThrow().trainable()).isEqualTo(values);
    assertThat(m.weights()).isEqualTo(4 * values);
    assertThat(m.gradients()).isEqualTo(4 * values);
    assertThat(m.optimizerState()).isEqualTo(8 * values);
    assertThat(m.total()).isEqualTo(m.weights() + m.gradients() + m.optimizerState() + m.activations() + m.stepScratch()
        + m.runtime());
  }

  @Test
  void activationsAreOneMicroBatchsWhateverTheWindowAndGrowLinearlyWithLength() {
    MemoryEstimate one = memory(plan("methods = [lora]", "training.batch-size = 2", "data.cutoff-len = 64"));
    MemoryEstimate window = memory(plan("methods = [lora]", "training.batch-size = 2", "data.cutoff-len = 64",
        "training.gradient-accumulation-steps = 3"));
    MemoryEstimate twice = memory(plan("methods = [lora]", "training.batch-size = 4", "data.cutoff-len = 64"));
    MemoryEstimate longer = memory(plan("methods = [lora]", "training.batch-size = 2", "data.cutoff-len = 128"));

    assertThat(window.activations()).isEqualTo(one.activations());
    assertThat(window.weights()).isEqualTo(one.weights());
    assertThat(twice.activations()).isCloseTo(2 * one.activations(), within(2L));
    // the fused attention keeps no s × s scores: twice the length costs what twice the batch does
    assertThat(longer.activations()).isCloseTo(2 * one.activations(), within(2L));
  }

  @Test
  void theRuntimeIsAConstantAndWhatGrowsWithTheMicroBatchNotWithTheWindow() {
    RunPlan one = plan("methods = [lora]", "training.batch-size = 2", "data.cutoff-len = 64");
    MemoryEstimate window = memory(plan("methods = [lora]", "training.batch-size = 2", "data.cutoff-len = 64",
        "training.gradient-accumulation-steps = 3"));
    MemoryEstimate twice = memory(plan("methods = [lora]", "training.batch-size = 4", "data.cutoff-len = 64"));
    long grown = MemoryModel.RETAINED_PER_TOKEN_AND_HIDDEN * 4 * 2 * 64 * one.config().hiddenSize();

    assertThat(memory(one).runtime()).isEqualTo(MemoryModel.RUNTIME_BYTES + grown);
    assertThat(window.runtime()).isEqualTo(memory(one).runtime());
    assertThat(twice.runtime()).isEqualTo(MemoryModel.RUNTIME_BYTES + 2 * grown);
  }

  @Test
  void bf16StoresFrozenWeightsInTwoBytesAndCheckpointingKeepsOneLayersActivations() {
    MemoryEstimate fp32 = memory(plan("methods = [lora]"));
    MemoryEstimate bf16 = memory(plan("methods = [lora]", "training.precision = bf16"));
    MemoryEstimate checkpointed = memory(plan("methods = [lora]", "training.gradient-checkpointing = true"));
    RunPlan plan = plan("methods = [lora]");
    long frozen = plan.shape().parameters().stream().filter(p -> !p.trainable()).mapToLong(ParameterShape::size).sum();
    long trainable = plan.shape().trainableSize();

    assertThat(fp32.weights()).isEqualTo(4 * (frozen + trainable));
    assertThat(bf16.weights()).isEqualTo(2 * frozen + 4 * trainable);
    assertThat(bf16.gradients()).isEqualTo(fp32.gradients());
    assertThat(bf16.optimizerState()).isEqualTo(fp32.optimizerState());
    assertThat(bf16.activations()).isLessThan(fp32.activations());
    assertThat(checkpointed.activations()).isLessThan(fp32.activations());
  }

  @Test
  void aFourBitBaseStoresDecoderWeightsInFourAndAHalfBitsAndKeepsTheirDequantizedCopiesPerStep() {
    RunPlan fp32 = plan("methods = [lora]");
    RunPlan nf4 = plan("methods = [lora]", "model.quantization = nf4");
    long decoderLinear = fp32.shape().parameters().stream()
        .filter(p -> p.layerIndex().isPresent() && p.name().endsWith("proj.weight")).mapToLong(ParameterShape::size).sum();

    assertThat(nf4.counts()).isEqualTo(fp32.counts()); // PEFT counts a 4-bit weight as the values it stands for
    assertThat(memory(fp32).weights() - memory(nf4).weights()).isEqualTo(4 * decoderLinear - (decoderLinear / 2 + 4 * decoderLinear / 64));
    // each layer's dequantized weights stay until its backward pass (and the allocator keeps its share of them)
    assertThat((double) (memory(nf4).activations() - memory(fp32).activations()))
        .isCloseTo(4 * decoderLinear * (1 + MemoryModel.ALLOCATOR_RETENTION), within(2.0));
    // with checkpointing, one layer's at a time, and the share of every layer's that the heap keeps: this model's
    // weights are all below glibc's mmap threshold
    RunPlan checkpointed = plan("methods = [lora]", "model.quantization = nf4", "training.gradient-checkpointing = true");
    RunPlan checkpointedFp32 = plan("methods = [lora]", "training.gradient-checkpointing = true");
    assertThat((double) (memory(checkpointed).activations() - memory(checkpointedFp32).activations()))
        .isCloseTo(4 * decoderLinear / 2 * (1 + MemoryModel.ALLOCATOR_RETENTION)
            + 4 * decoderLinear * MemoryModel.ALLOCATOR_RETENTION, within(2.0));
    // no fitted constant beyond that: the runtime's row is the same as without the 4-bit base
    assertThat(memory(nf4).runtime()).isEqualTo(memory(fp32).runtime());
  }

  @Test
  void weightsDequantizedAboveTheMmapThresholdAreNotKeptByTheHeap() {
    // Llama-2-70B: every decoder weight is at least 8192 x 1024 values, 32 MiB in fp32; mapped, and unmapped when freed
    String model = "model.path = \"" + Fixtures.path("plan/llama-2-70b").toAbsolutePath().toString().replace("\\", "/") + "\"";
    RunPlan checkpointed = plan(model, "methods = [lora]", "data.cutoff-len = 64", "training.gradient-checkpointing = true");
    RunPlan nf4 = plan(model, "methods = [lora]", "data.cutoff-len = 64", "training.gradient-checkpointing = true",
        "model.quantization = nf4");
    long largestLayer = 8192L * 28672 * 3 + 8192L * 8192 * 2 + 8192L * 1024 * 2; // gate/up/down, q/o, k/v
    assertThat((double) (memory(nf4).activations() - memory(checkpointed).activations()))
        .isCloseTo(4 * largestLayer * (1 + MemoryModel.ALLOCATOR_RETENTION), within(2.0));
  }

  @Test
  void doubleQuantizationStoresAFourBitBasesScalesInAByteABlockAndAnAbsmaxPer256Blocks() {
    RunPlan nf4 = plan("methods = [lora]", "model.quantization = nf4");
    RunPlan nested = plan("methods = [lora]", "model.quantization = nf4", "model.double-quantization = true");
    long saved = 0;
    for (ParameterShape p : nf4.shape().parameters()) {
      if (p.layerIndex().isPresent() && p.name().endsWith("proj.weight")) {
        long blocks = p.size() / 64;
        // 4 bytes a block, against 1 a block, 4 per 256 blocks and a 4-byte offset
        saved += 4 * blocks - (blocks + 4 * ((blocks + 255) / 256) + 4);
      }
    }

    assertThat(saved).isPositive();
    assertThat(nested.counts()).isEqualTo(nf4.counts());
    assertThat(memory(nf4).weights() - memory(nested).weights()).isEqualTo(saved);
    assertThat(memory(nested).activations()).isEqualTo(memory(nf4).activations());
    // the scales of the largest 4-bit weight (172 × 64) are dequantized before it, a float32 scale a block
    assertThat(memory(nested).stepScratch() - memory(nf4).stepScratch()).isEqualTo(4 * 172);
  }

  @Test
  void doraAddsAMagnitudePerOutputFeatureAndKeepsTheCombinedWeightsOfEachPass() {
    RunPlan lora = plan("methods = [lora]");
    RunPlan dora = plan("methods = [lora]", "lora.use-dora = true");
    // q_proj: 4 heads × 16 = 64 outputs, v_proj: 2 × 16 = 32, in 2 layers
    assertThat(dora.counts().orElseThrow().trainable() - lora.counts().orElseThrow().trainable()).isEqualTo(2 * (64 + 32));
    assertThat(memory(dora).activations()).isGreaterThan(memory(lora).activations() + 4L * 4 * 2 * (64 + 32) * 64);
  }

  @Test
  void galoreKeepsAdamsMomentsInTheProjectedShapeAndTheProjector() {
    RunPlan full = plan("methods = [full]");
    RunPlan galore = plan("methods = [full, galore]", "galore { target = [mlp], rank = 8 }");
    long expected = 0;
    for (ParameterShape p : galore.shape().parameters()) {
      long m = p.shape().get(0);
      if (p.name().contains(".mlp.") && p.shape().size() == 2) {
        long n = p.shape().get(1);
        expected += m >= n ? 2 * m * 8 + 8 * n : 2 * 8 * n + m * 8; // std: m ≥ n projects on the right
      } else {
        expected += 2 * p.size();
      }
    }
    assertThat(memory(galore).optimizerState()).isEqualTo(4 * expected).isLessThan(memory(full).optimizerState());
    assertThat(memory(galore).gradients()).isEqualTo(memory(full).gradients());
    assertThat(galore.counts()).isEqualTo(full.counts());
    assertThat(galore.methods().get(1).notes().get(0)).contains("6 weights", "rank-8", "std");
  }

  @Test
  void layerWiseGaloreHoldsOneStagesGradientsButEveryLayerStillTrainsAndKeepsItsGraph() {
    RunPlan whole = plan("methods = [full, galore]", "training.max-grad-norm = 0");
    RunPlan layerwise = plan("methods = [full, galore]", "training.max-grad-norm = 0", "galore.layerwise = true");
    long largestLayer = layerwise.shape().parameters().stream().filter(p -> p.layerIndex().isPresent())
        .collect(Collectors.groupingBy(p -> p.layerIndex().getAsInt(), Collectors.summingLong(ParameterShape::size)))
        .values().stream().mapToLong(Long::longValue).max().orElseThrow();

    assertThat(memory(layerwise).gradients()).isEqualTo(4 * largestLayer).isLessThan(memory(whole).gradients());
    // its parameters have given their gradients back, not stopped training: the same graph and fp32 masters
    assertThat(memory(layerwise).activations()).isEqualTo(memory(whole).activations());
    assertThat(memory(layerwise).weights()).isEqualTo(memory(whole).weights());
  }

  @Test
  void anUpdateAfterTheBackwardPassReusesTheFreedActivationsAndOneDuringItDoesNot() {
    RunPlan plan = plan("methods = [full]");
    ParameterShape head = plan.shape().parameter("lm_head.weight").orElseThrow();
    long n = head.size();
    MemoryEstimate plain = estimate(plan, Map.of());
    // update temporaries in float32 values: more than the activations and the backward transients together; and
    // more than the transients but fewer than the activations
    long aboveActivations = (plain.activations() + 2 * plain.stepScratch()) / 4;
    long belowActivations = (plain.activations() + plain.stepScratch()) / 8;
    assertThat(4 * belowActivations).isBetween(plain.stepScratch() + 1, plain.activations() - 1);

    MemoryEstimate after = estimate(plan, Map.of(head.name(), new OptimizerCost(n, 2 * n, aboveActivations)));
    MemoryEstimate afterWithin = estimate(plan, Map.of(head.name(), new OptimizerCost(n, 2 * n, belowActivations)));
    MemoryEstimate during = estimate(plan, Map.of(head.name(), new OptimizerCost(0, 2 * n, aboveActivations)));

    assertThat(after.activations()).isEqualTo(plain.activations());
    assertThat(after.activations() + after.stepScratch()).isEqualTo(4 * aboveActivations);
    assertThat(afterWithin.stepScratch()).isEqualTo(plain.stepScratch());
    assertThat(during.stepScratch()).isEqualTo(4 * aboveActivations);
  }

  private static MemoryEstimate estimate(RunPlan plan, Map<String, OptimizerCost> costs) {
    return MemoryModel.estimate(plan.config(), plan.shape(), costs, 0, 0, plan.workload(), false);
  }

  @Test
  void badamHoldsGradientsAndStateForItsLargestBlockOnly() {
    RunPlan plan = plan("methods = [full, badam]", "badam.include-embedding = true");
    Map<String, Long> blocks = plan.shape().parameters().stream().filter(p -> p.layerIndex().isPresent())
        .collect(Collectors.groupingBy(p -> "layer " + p.layerIndex().getAsInt(), Collectors.summingLong(ParameterShape::size)));
    long embedding = plan.shape().parameter("model.embed_tokens.weight").orElseThrow().size();
    long largest = Math.max(embedding, blocks.values().stream().mapToLong(Long::longValue).max().orElseThrow());

    assertThat(memory(plan).gradients()).isEqualTo(4 * largest);
    assertThat(memory(plan).optimizerState()).isEqualTo(8 * largest);
    assertThat(plan.counts().orElseThrow().trainable()).isEqualTo(plan.shape().size());
    assertThat(String.join("\n", plan.methods().get(1).notes())).contains("3 blocks", "in no block, never trained: "
        + "model.norm.weight, lm_head.weight");
  }

  @Test
  void badamsRatioModeKeepsStateForTheUpdatedFractionOfEachTensor() {
    RunPlan plan = plan("methods = [full, badam]", "badam { mode = ratio, update-ratio = 0.1 }");
    long state = 0;
    for (ParameterShape p : plan.shape().parameters()) {
      state += 2 * (p.size() < 100 ? p.size() : (long) Math.ceil(0.1 * p.size()));
    }
    assertThat(memory(plan).optimizerState()).isEqualTo(4 * state);
    assertThat(memory(plan).gradients()).isEqualTo(4 * plan.shape().size());
  }

  @Test
  void freezeTrainsTheChosenLayersAndPlansLikeTheSelector() {
    RunPlan plan = plan("methods = [freeze]", "freeze { trainable-layers = 1, trainable-modules = [mlp], extra-modules = [lm_head] }");
    assertThat(plan.shape().trainable().stream().map(ParameterShape::name)).containsExactly(
        "model.layers.1.mlp.gate_proj.weight", "model.layers.1.mlp.up_proj.weight", "model.layers.1.mlp.down_proj.weight",
        "lm_head.weight");
  }

  @Test
  void aRunThatBreaksRulesIsStillPlannedAndReportsThem() {
    RunPlan plan = plan("methods = [lora, galore]");
    assertThat(plan.validation().valid()).isFalse();
    assertThat(plan.counts()).isPresent();
    assertThat(PlanText.render(plan)).contains("rule check: the run cannot start",
        "error: the run cannot start: 1 broken rule between methods", "[rule lora/not-with-galore]");
  }

  @Test
  void aSeventyBillionParameterConfigIsPlannedWithoutAllocatingIt() {
    // Llama-2-70B: 80 layers, 8 key-value heads; its weights alone would take 257 GiB in fp32
    RunPlan plan = plan("model.path = \"" + Fixtures.path("plan/llama-2-70b").toAbsolutePath().toString().replace("\\", "/") + "\"",
        "methods = [full]");
    assertThat(plan.counts().orElseThrow().all()).isGreaterThan(68_000_000_000L);
    assertThat(memory(plan).weights()).isEqualTo(4 * plan.counts().orElseThrow().all());
  }

  @Test
  void aMethodWithoutAPlanIsReportedAndNothingIsGuessed() throws IOException {
    Path plugins = dir.resolve("plugins");
    TestPlugins.methodJar(plugins, "echo.jar", "echo", "ApiVersion.CURRENT", TestPlugins.Behaviour.WORKS);
    Peft4j peft4j = Peft4j.builder().pluginFolder(plugins).build();
    RunPlan plan = peft4j.plan(runs.runFile("methods = [echo]"), List.of());

    assertThat(plan.priced()).isFalse();
    assertThat(plan.counts()).isEmpty();
    assertThat(plan.memory()).isEmpty();
    assertThat(PlanText.render(plan)).contains("echo: cannot be priced: the method does not implement MethodFactory.plan",
        "trainable parameters and memory: not priced, because echo cannot be priced");
  }

  @Test
  void anIncompleteConfigJsonNamesTheFileAndTheKey() throws IOException {
    Path config = dir.resolve("models/tiny/config.json");
    Files.writeString(config, Files.readString(config).replace("\"hidden_size\": 64,", ""));
    ValidationReport report = runs.validate("methods = [lora]");

    // validate reads config.json as the planner does: the run never gets to the planner.
    assertThat(report.problems()).singleElement().satisfies(p -> assertThat(p.message())
        .contains(config.toString(), "hidden_size is missing", "is model.path the model's folder"));
    assertThatThrownBy(() -> ModelFamilies.BUILT_IN.read(config.getParent()))
        .isInstanceOf(ModelConfigException.class)
        .hasMessageContaining(config.toString())
        .hasMessageContaining("hidden_size is missing");
    runs.model("models/tiny", 2);
    Files.writeString(config, Files.readString(config).replace("\"intermediate_size\": 172", "\"intermediate_size\": \"big\""));
    assertThatThrownBy(() -> ModelFamilies.BUILT_IN.read(config.getParent()))
        .hasMessageContaining("intermediate_size must be an integer, got \"big\"");
  }
}
