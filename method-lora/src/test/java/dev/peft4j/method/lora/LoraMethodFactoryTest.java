package dev.peft4j.method.lora;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.MethodCapability;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.rules.Rule;
import dev.peft4j.api.rules.Severity;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class LoraMethodFactoryTest {

  private static final ModelInfo LLAMA = new ModelInfo("llama", OptionalInt.of(2),
      List.of("self_attn", "mlp", "input_layernorm", "post_attention_layernorm"),
      List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
          "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"),
      List.of("embed_tokens", "norm", "lm_head"));

  private final LoraMethodFactory factory = new LoraMethodFactory();
  private SettingsReader reader;

  /** Reads the user's settings over the defaults, then checks them against {@code model}. */
  private List<SettingProblem> check(String userConf, ModelInfo model) {
    Config config = ConfigFactory.parseString(userConf).withFallback(ConfigFactory.defaultReference()).resolve();
    reader = new SettingsReader(config, "peft4j.lora");
    LoraSettings settings = factory.readSettings(reader);
    assertThat(reader.problems()).as("problems while reading").isEmpty();
    factory.check(settings, model, reader);
    return reader.problems();
  }

  @Test
  void describesLoraAsAnAdapterAndOptimizerHookThatMergesAndTakesAQuantizedBase() {
    MethodDescriptor d = factory.descriptor();

    assertThat(d.id()).isEqualTo("lora").isEqualTo(LoraMethodFactory.ID);
    assertThat(d.configPath()).isEqualTo("peft4j.lora");
    assertThat(d.kinds()).containsExactlyInAnyOrder(MethodKind.ADAPTER, MethodKind.OPTIMIZER_HOOK);
    assertThat(d.capabilities()).containsExactlyInAnyOrder(MethodCapability.QUANTIZED_BASE, MethodCapability.MERGES);
    assertThat(d.description()).isNotBlank();
    assertThat(d.version()).isEqualTo("dev");
  }

  @Test
  void declaresItsRulesAllAsErrors() {
    List<Rule> rules = factory.descriptor().rules();

    assertThat(rules).isEqualTo(LoraMethodFactory.RULES);
    assertThat(rules).extracting(Rule::name).containsExactlyInAnyOrder(
        "not-with-galore", "not-with-badam", "not-with-selector", "loraplus-needs-lora", "rslora-needs-lora",
        "dora-needs-lora", "pissa-needs-lora", "pissa-not-on-quantized-base", "pissa-convert-needs-pissa",
        "pissa-convert-not-with-dora");
    assertThat(rules).extracting(Rule::severity).containsOnly(Severity.ERROR);
  }

  @Test
  void rulesReadAsTheirConditions() {
    assertThat(rule("not-with-galore").describeConditions()).isEqualTo("lora is chosen and galore is chosen");
    assertThat(rule("not-with-selector").describeConditions())
        .isEqualTo("lora is chosen and 1 or more chosen method(s) of kind selector");
    assertThat(rule("loraplus-needs-lora").describeConditions())
        .isEqualTo("lora is not chosen and lora.loraplus-lr-ratio is set");
    assertThat(rule("pissa-not-on-quantized-base").describeConditions())
        .isEqualTo("lora is chosen and lora.init matches pissa.* and model.quantization != none");
    assertThat(rule("pissa-not-on-quantized-base").message()).contains("model.quantization = none");
    assertThat(rule("pissa-convert-needs-pissa").describeConditions())
        .isEqualTo("lora is chosen and lora.pissa-convert == true and lora.init matches default|true|gaussian");
  }

  private static Rule rule(String name) {
    return LoraMethodFactory.RULES.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void defaultTargetsExistInALlamaModel() {
    assertThat(check("", LLAMA)).isEmpty();
  }

  @Test
  void targetsMayBeDottedSuffixesAndModulesOutsideTheLayers() {
    assertThat(check("peft4j.lora.target = [self_attn.q_proj, mlp.down_proj, lm_head]", LLAMA)).isEmpty();
  }

  @Test
  void reportsAnUnknownTargetListingTheLinearLayers() {
    List<SettingProblem> problems = check("peft4j.lora.target = [q_proj, nope]", LLAMA);

    assertThat(problems).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.lora.target");
      assertThat(p.message())
          .contains("llama model")
          .contains("\"nope\"")
          .contains("self_attn.q_proj, self_attn.k_proj, self_attn.v_proj, self_attn.o_proj, mlp.gate_proj, "
              + "mlp.up_proj, mlp.down_proj")
          .doesNotContain("\"q_proj\"");
    });
  }

  @Test
  void suggestsTheClosestLinearLayerForAMisspeltTarget() {
    assertThat(check("peft4j.lora.target = [q_prj, v_proj]", LLAMA)).extracting(SettingProblem::message)
        .singleElement().asString().contains("\"q_prj\"").contains("did you mean \"q_proj\"");
  }

  @Test
  void reportsAPartialNameAsUnknown() {
    assertThat(check("peft4j.lora.target = [proj]", LLAMA)).extracting(SettingProblem::message)
        .singleElement().asString().contains("\"proj\"");
  }

  @Test
  void reportsALayerBeyondTheModelWithTheLayerRange() {
    List<SettingProblem> problems = check("peft4j.lora.layers-to-transform = [5]", LLAMA);

    assertThat(problems).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.lora.layers-to-transform");
      assertThat(p.message()).isEqualTo("layer 5 does not exist: the model has layers 0 to 1");
    });
  }

  @Test
  void acceptsTheLastLayer() {
    assertThat(check("peft4j.lora.layers-to-transform = [0, 1]", LLAMA)).isEmpty();
  }

  @Test
  void skipsNameChecksWhenTheLayerCountIsUnknown() {
    ModelInfo unknownDepth = new ModelInfo("llama", OptionalInt.empty(), LLAMA.layerModules(), LLAMA.linearModules(),
        LLAMA.otherModules());

    assertThat(check("peft4j.lora { target = [nope], layers-to-transform = [5] }", unknownDepth)).isEmpty();
  }

  @Test
  void doesNotCheckRegexOrAllLinearTargetsByName() {
    assertThat(check("peft4j.lora.target = all-linear", LLAMA)).isEmpty();
    assertThat(check("peft4j.lora.target = \".*nothing.*\"", LLAMA)).isEmpty();
  }

  @Test
  void reportsAnUnknownExcludedModule() {
    assertThat(check("peft4j.lora.exclude-modules = [nope]", LLAMA)).extracting(SettingProblem::path)
        .containsExactly("peft4j.lora.exclude-modules");
  }

  @Test
  void modulesToSaveMatchTheEndOfAModuleNameAsInPeft() {
    assertThat(check("peft4j.lora.modules-to-save = [embed_tokens, lm_head, model.norm, layers.1, mlp, q_proj]", LLAMA))
        .isEmpty();
  }

  @Test
  void reportsAnUnknownModuleToSaveListingTheModules() {
    assertThat(check("peft4j.lora.modules-to-save = [embeddings]", LLAMA)).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.lora.modules-to-save");
      assertThat(p.message()).contains("\"embeddings\"", "embed_tokens", "lm_head");
    });
  }

  @Test
  void refusesToSaveEmbeddingsTiedToTheOutputHead() {
    ModelInfo tied = new ModelInfo("qwen2", OptionalInt.of(2), LLAMA.layerModules(), LLAMA.linearModules(),
        List.of("embed_tokens", "norm"));

    assertThat(check("peft4j.lora.modules-to-save = [embed_tokens]", tied)).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("tie_word_embeddings", "methods = [full]"));
    assertThat(check("peft4j.lora.modules-to-save = [embed_tokens]", LLAMA)).isEmpty();
  }
}
