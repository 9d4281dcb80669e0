package dev.peft4j.runtime.plan;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelConfig;
import dev.peft4j.runtime.model.ModuleModelView;
import dev.peft4j.runtime.model.TinyModels;
import dev.peft4j.runtime.nn.Nf4Linear;
import dev.peft4j.runtime.setup.MethodSetup;
import dev.peft4j.runtime.setup.RuntimeMethodContext;
import dev.peft4j.runtime.testing.Runs;
import dev.peft4j.runtime.validate.ValidationReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What the built-in methods plan is what they do: after {@code create} and {@code apply} on a real model,
 * the parameters (names, shapes, trainable) and PEFT's line equal the plan's ({@link PlanCheck}, which the
 * plugin test kit runs on every method that plans), for every adapter and selector setting that changes them.
 */
class PlanMatchesApplyTest {

  @TempDir
  Path dir;

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  @ParameterizedTest(name = "{0} {1}, tied {2}: {3}")
  @CsvSource(delimiter = ';', value = {
      "llama; none; false; methods = [lora]",
      "llama; none; false; methods = [lora], lora { rank = 4, target = all-linear, use-dora = true }",
      "llama; none; true;  methods = [lora], lora { target = [q_proj, down_proj], layers-to-transform = [1], "
          + "rank-pattern { down_proj = 3 } }",
      "llama; none; false; methods = [lora], lora { target = \".*\\\\.(k|o)_proj\", exclude-modules = [model.layers.0.self_attn.o_proj] }",
      "llama; none; false; methods = [lora], lora { target = [q_proj, lm_head], init = pissa }",
      "qwen2; none; true;  methods = [lora], lora { target = [q_proj, v_proj], bias = lora_only }",
      "qwen2; none; false; methods = [lora], lora { target = all-linear, bias = all, use-dora = true }",
      "llama; nf4; false; methods = [lora], lora { target = all-linear, use-dora = true }",
      "qwen2; nf4; true;  methods = [lora], lora { target = [q_proj, k_proj, v_proj], bias = lora_only }",
      "llama; nf4-double; false; methods = [lora], lora { target = all-linear }",
      "llama; none; false; methods = [full]",
      "qwen2; none; true;  methods = [freeze], freeze { trainable-layers = 1 }",
      "llama; none; false; methods = [freeze], freeze { trainable-layers = -1, trainable-modules = [mlp], "
          + "extra-modules = [embed_tokens, norm, lm_head] }",
      "qwen2; none; false; methods = [freeze], freeze { trainable-layers = 2, trainable-modules = [self_attn, "
          + "input_layernorm], extra-modules = [norm] }"})
  void theModelAfterApplyIsThePlannedOne(String type, String quantization, boolean tied, String run) throws IOException {
    ModelConfig config = TinyModels.config(type, tied);
    Path folder = dir.resolve("model");
    Files.createDirectories(folder);
    Files.writeString(folder.resolve("config.json"), config.toJson());
    Path file = dir.resolve("run.conf");
    boolean doubleQuantization = quantization.equals("nf4-double");
    Files.writeString(file, "model.path = model\nmodel.quantization = " + (doubleQuantization ? "nf4" : quantization)
        + "\nmodel.double-quantization = " + doubleQuantization + "\n" + run.replace(", lora {", "\nlora {")
        .replace(", freeze {", "\nfreeze {") + "\n");
    ValidationReport report = new Runs(dir).validate(file, List.of());
    assertThat(report.problems()).isEmpty();
    RunPlan plan = Planner.plan(report, Runs.discovery());

    CausalLm model = TinyModels.random(manager, config, 3);
    ModuleModelView view = new ModuleModelView(model);
    if (!quantization.equals("none")) {
      view.quantizeNf4(manager, doubleQuantization);
    }
    // the bytes the planner gives each 4-bit weight are the bytes it takes
    List<Nf4Linear> quantized = model.modules().namedModules().values().stream().filter(Nf4Linear.class::isInstance)
        .map(Nf4Linear.class::cast).toList();
    assertThat(quantized).hasSize(MemoryModel.quantizedWeights(plan.shape()).size());
    for (Nf4Linear layer : quantized) {
      assertThat(layer.storedBytes())
          .isEqualTo(MemoryModel.nf4Bytes((long) layer.inFeatures() * layer.outFeatures(), doubleQuantization));
    }
    MethodSetup.apply(MethodSetup.create(report, Runs.discovery(), new RuntimeMethodContext(manager, 1)), view);

    assertThat(PlanCheck.differences(plan, view)).isEmpty();
  }
}
