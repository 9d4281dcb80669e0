package dev.peft4j.method.freeze;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.rules.Severity;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FreezeMethodFactoryTest {

  private static final ModelInfo LLAMA = new ModelInfo("llama", OptionalInt.of(2),
      List.of("self_attn", "mlp", "input_layernorm", "post_attention_layernorm"),
      List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
          "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"),
      List.of("embed_tokens", "norm", "lm_head"));

  private final FreezeMethodFactory factory = new FreezeMethodFactory();

  private List<SettingProblem> check(String userConf, ModelInfo model) {
    Config config = ConfigFactory.parseString(userConf).withFallback(ConfigFactory.defaultReference()).resolve();
    SettingsReader reader = new SettingsReader(config, "peft4j.freeze");
    FreezeSettings settings = factory.readSettings(reader);
    assertThat(reader.problems()).as("problems while reading").isEmpty();
    factory.check(settings, model, reader);
    return reader.problems();
  }

  private List<SettingProblem> check(String userConf) {
    return check(userConf, LLAMA);
  }

  @Test
  void describesFreezeAsASelector() {
    MethodDescriptor d = factory.descriptor();

    assertThat(d.id()).isEqualTo("freeze").isEqualTo(FreezeMethodFactory.ID);
    assertThat(d.configPath()).isEqualTo("peft4j.freeze");
    assertThat(d.kinds()).containsExactly(MethodKind.SELECTOR);
    assertThat(d.capabilities()).isEmpty();
  }

  @Test
  void declaresThatItNeedsTheLayerCount() {
    assertThat(factory.descriptor().rules()).isEqualTo(FreezeMethodFactory.RULES).singleElement().satisfies(rule -> {
      assertThat(rule.name()).isEqualTo("needs-layer-count");
      assertThat(rule.severity()).isEqualTo(Severity.ERROR);
      assertThat(rule.describeConditions()).startsWith("freeze is chosen and not: the model's layer count is known");
      assertThat(rule.message()).contains("num_hidden_layers");
    });
  }

  @ParameterizedTest(name = "trainable-layers {0}")
  @ValueSource(ints = {2, -2, 1, -1})
  void acceptsUpToAsManyLayersAsTheModelHasFromEitherEnd(int layers) {
    assertThat(check("peft4j.freeze.trainable-layers = " + layers)).isEmpty();
  }

  @ParameterizedTest(name = "trainable-layers {0}")
  @ValueSource(ints = {3, -3})
  void reportsMoreLayersThanTheModelHas(int layers) {
    assertThat(check("peft4j.freeze.trainable-layers = " + layers)).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.freeze.trainable-layers");
      assertThat(p.message()).isEqualTo("asks for 3 layers but the model has 2");
    });
  }

  @Test
  void skipsTheLayerCheckWhenTheLayerCountIsUnknown() {
    ModelInfo unknownDepth = new ModelInfo("llama", OptionalInt.empty(), LLAMA.layerModules(), LLAMA.linearModules(),
        LLAMA.otherModules());

    assertThat(check("peft4j.freeze.trainable-layers = 30", unknownDepth)).isEmpty();
  }

  @Test
  void acceptsModulesOfTheDecoderLayers() {
    assertThat(check("peft4j.freeze.trainable-modules = [mlp]")).isEmpty();
    assertThat(check("peft4j.freeze.trainable-modules = [self_attn, mlp]")).isEmpty();
    assertThat(check("peft4j.freeze.trainable-modules = [all]")).isEmpty();
  }

  @Test
  void reportsAnUnknownTrainableModuleListingTheModulesThatExist() {
    assertThat(check("peft4j.freeze.trainable-modules = [mlp, attn]")).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.freeze.trainable-modules");
      assertThat(p.message()).contains("\"attn\"").contains("llama model")
          .contains("all, self_attn, mlp, input_layernorm, post_attention_layernorm");
    });
  }

  @Test
  void acceptsExtraModulesOutsideTheLayers() {
    assertThat(check("peft4j.freeze.extra-modules = [lm_head]")).isEmpty();
    assertThat(check("peft4j.freeze.extra-modules = [embed_tokens, norm, lm_head]")).isEmpty();
  }

  @Test
  void reportsAnUnknownExtraModuleListingTheModulesThatExist() {
    assertThat(check("peft4j.freeze.extra-modules = [head]")).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.freeze.extra-modules");
      assertThat(p.message()).contains("\"head\"").contains("embed_tokens, norm, lm_head");
    });
  }

  @Test
  void reportsEveryUnknownNameAtOnce() {
    assertThat(check("peft4j.freeze { trainable-layers = 5, trainable-modules = [attn], extra-modules = [head] }"))
        .extracting(SettingProblem::path).containsExactly(
            "peft4j.freeze.trainable-layers", "peft4j.freeze.trainable-modules", "peft4j.freeze.extra-modules");
  }

  @Test
  void trainsTheLastLayersByDefault() {
    assertThat(select("peft4j.freeze {}")).allMatch(n -> n.startsWith("model.layers.2.") || n.startsWith("model.layers.3."))
        .hasSize(2 * 9);
  }

  @Test
  void aNegativeCountTrainsTheFirstLayers() {
    assertThat(select("peft4j.freeze.trainable-layers = -1")).allMatch(n -> n.startsWith("model.layers.0.")).hasSize(9);
  }

  @Test
  void trainsOnlyTheNamedModulesOfTheChosenLayers() {
    assertThat(select("peft4j.freeze { trainable-layers = 1, trainable-modules = [mlp] }")).containsExactly(
        "model.layers.3.mlp.gate_proj.weight", "model.layers.3.mlp.up_proj.weight", "model.layers.3.mlp.down_proj.weight");
  }

  @Test
  void extraModulesAreWholeNamesOutsideTheLayers() {
    assertThat(select("peft4j.freeze { trainable-layers = 1, trainable-modules = [self_attn], extra-modules = [norm, lm_head] }"))
        .contains("model.layers.3.self_attn.q_proj.weight", "model.norm.weight", "lm_head.weight")
        .doesNotContain("model.layers.3.input_layernorm.weight", "model.layers.0.input_layernorm.weight")
        .hasSize(4 + 2);
  }

  private java.util.Set<String> select(String settings) {
    FreezeSettings read = factory.readSettings(new SettingsReader(
        ConfigFactory.parseString(settings).withFallback(ConfigFactory.defaultReference()), "peft4j.freeze"));
    return ((dev.peft4j.api.ParameterSelector) factory.create(read, null)).trainable(FakeLlama.withLayers(4));
  }

}
