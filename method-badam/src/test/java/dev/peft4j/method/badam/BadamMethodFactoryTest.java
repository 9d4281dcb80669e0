package dev.peft4j.method.badam;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.MethodCapability;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.OptimizerHook;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.rules.Rule;
import dev.peft4j.api.rules.Severity;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class BadamMethodFactoryTest {

  private static final ModelInfo LLAMA = new ModelInfo("llama", OptionalInt.of(2),
      List.of("self_attn", "mlp", "input_layernorm", "post_attention_layernorm"),
      List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
          "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"),
      List.of("embed_tokens", "norm", "lm_head"));

  private final BadamMethodFactory factory = new BadamMethodFactory();

  private List<SettingProblem> check(String userConf, ModelInfo model) {
    Config config = ConfigFactory.parseString(userConf).withFallback(ConfigFactory.defaultReference()).resolve();
    SettingsReader reader = new SettingsReader(config, "peft4j.badam");
    BadamSettings settings = factory.readSettings(reader);
    assertThat(reader.problems()).as("problems while reading").isEmpty();
    factory.check(settings, model, reader);
    return reader.problems();
  }

  @Test
  void describesBadamAsAnOptimizerHookThatReplacesTheOptimizer() {
    MethodDescriptor d = factory.descriptor();

    assertThat(d.id()).isEqualTo("badam").isEqualTo(BadamMethodFactory.ID);
    assertThat(d.configPath()).isEqualTo("peft4j.badam");
    assertThat(d.kinds()).containsExactly(MethodKind.OPTIMIZER_HOOK);
    assertThat(d.capabilities()).containsExactly(MethodCapability.REPLACES_OPTIMIZER);
  }

  @Test
  void declaresItsRulesWithTheirSeverities() {
    Map<String, Severity> severities = factory.descriptor().rules().stream()
        .collect(Collectors.toMap(Rule::name, Rule::severity));

    assertThat(factory.descriptor().rules()).isEqualTo(BadamMethodFactory.RULES);
    assertThat(severities).containsOnly(
        Map.entry("needs-full", Severity.ERROR),
        Map.entry("ratio-single-device", Severity.ERROR),
        Map.entry("pure-bf16-where-supported", Severity.ERROR),
        Map.entry("no-bf16-on-device", Severity.WARNING));
  }

  @Test
  void rulesReadAsTheirConditions() {
    assertThat(BadamMethodFactory.RULES).extracting(Rule::describeConditions).containsExactly(
        "badam is chosen and full is not chosen",
        "badam is chosen and badam.mode == ratio and training.devices > 1",
        "badam is chosen and training.precision == fp32 and the device computes in bf16",
        "badam is chosen and training.precision != bf16 and not: the device computes in bf16");
    assertThat(BadamMethodFactory.RULES.get(0).message()).contains("methods = [full, badam]");
  }

  @Test
  void noStartBlockNeedsNoCheck() {
    assertThat(check("", LLAMA)).isEmpty();
  }

  @Test
  void reportsAStartBlockBeyondTheModelWithTheBlockCount() {
    List<SettingProblem> problems = check("peft4j.badam.start-block = 10", LLAMA);

    assertThat(problems).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.badam.start-block");
      assertThat(p.message()).isEqualTo("block 10 does not exist: this model has 2 blocks (0 to 1)");
    });
  }

  @Test
  void theLastLayerIsAValidStartBlock() {
    assertThat(check("peft4j.badam.start-block = 1", LLAMA)).isEmpty();
  }

  @Test
  void startBlockTwoNeedsTheEmbeddingAsABlockOfAModelWithTwoLayers() {
    assertThat(check("peft4j.badam.start-block = 2", LLAMA)).extracting(SettingProblem::path)
        .containsExactly("peft4j.badam.start-block");
    assertThat(check("peft4j.badam { start-block = 2, include-embedding = true }", LLAMA)).isEmpty();
    assertThat(check("peft4j.badam { start-block = 2, include-lm-head = true }", LLAMA)).isEmpty();
  }

  @Test
  void embeddingAndHeadTogetherAddTwoBlocks() {
    assertThat(check("peft4j.badam { start-block = 3, include-embedding = true, include-lm-head = true }", LLAMA))
        .isEmpty();
    assertThat(check("peft4j.badam { start-block = 4, include-embedding = true, include-lm-head = true }", LLAMA))
        .singleElement().satisfies(p -> assertThat(p.message()).contains("4 blocks (0 to 3)"));
  }

  @Test
  void skipsTheStartBlockCheckWhenTheLayerCountIsUnknown() {
    ModelInfo unknownDepth = new ModelInfo("llama", OptionalInt.empty(), LLAMA.layerModules(), LLAMA.linearModules(),
        LLAMA.otherModules());

    assertThat(check("peft4j.badam.start-block = 10", unknownDepth)).isEmpty();
  }

  @Test
  void createsTheHookOfTheChosenMode() {
    BadamSettings defaults = factory.readSettings(new SettingsReader(ConfigFactory.defaultReference(), "peft4j.badam"));
    Config ratio = ConfigFactory.parseString("peft4j.badam.mode = ratio").withFallback(ConfigFactory.defaultReference());
    BadamSettings ratioSettings = factory.readSettings(new SettingsReader(ratio, "peft4j.badam"));

    assertThat(factory.create(defaults, null)).isInstanceOf(LayerModeHook.class).isInstanceOf(OptimizerHook.class);
    assertThat(factory.create(ratioSettings, null)).isInstanceOf(RatioModeHook.class).isInstanceOf(OptimizerHook.class);
  }
}
