package dev.peft4j.method.galore;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.MethodCapability;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.OptimizerHook;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.rules.Rule;
import dev.peft4j.api.rules.Severity;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class GaloreMethodFactoryTest {

  private static final ModelInfo LLAMA = new ModelInfo("llama", OptionalInt.of(2),
      List.of("self_attn", "mlp", "input_layernorm", "post_attention_layernorm"),
      List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
          "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"),
      List.of("embed_tokens", "norm", "lm_head"));

  private final GaloreMethodFactory factory = new GaloreMethodFactory();

  private List<SettingProblem> check(String userConf) {
    Config config = ConfigFactory.parseString(userConf).withFallback(ConfigFactory.defaultReference()).resolve();
    SettingsReader reader = new SettingsReader(config, "peft4j.galore");
    GaloreSettings settings = factory.readSettings(reader);
    assertThat(reader.problems()).as("problems while reading").isEmpty();
    factory.check(settings, LLAMA, reader);
    return reader.problems();
  }

  @Test
  void describesGaloreAsAnOptimizerHookThatReplacesTheOptimizer() {
    MethodDescriptor d = factory.descriptor();

    assertThat(d.id()).isEqualTo("galore").isEqualTo(GaloreMethodFactory.ID);
    assertThat(d.configPath()).isEqualTo("peft4j.galore");
    assertThat(d.kinds()).containsExactly(MethodKind.OPTIMIZER_HOOK);
    assertThat(d.capabilities()).containsExactly(MethodCapability.REPLACES_OPTIMIZER);
  }

  @Test
  void declaresTwoErrorsAndAWarning() {
    List<Rule> rules = factory.descriptor().rules();

    assertThat(rules).isEqualTo(GaloreMethodFactory.RULES);
    assertThat(rules).extracting(Rule::name, Rule::severity).containsExactly(
        org.assertj.core.groups.Tuple.tuple("layerwise-without-accumulation", Severity.ERROR),
        org.assertj.core.groups.Tuple.tuple("layerwise-single-device", Severity.ERROR),
        org.assertj.core.groups.Tuple.tuple("layerwise-no-clipping", Severity.WARNING));
  }

  @Test
  void layerwiseRulesReadAsTheirConditions() {
    assertThat(GaloreMethodFactory.RULES).extracting(Rule::describeConditions).containsExactly(
        "galore is chosen and galore.layerwise == true and training.gradient-accumulation-steps > 1",
        "galore is chosen and galore.layerwise == true and training.devices > 1",
        "galore is chosen and galore.layerwise == true and training.max-grad-norm > 0");
  }

  @Test
  void allAndPartsOfLinearLayerNamesExist() {
    assertThat(check("")).isEmpty();
    assertThat(check("peft4j.galore.target = [mlp]")).isEmpty();
    assertThat(check("peft4j.galore.target = [self_attn, down_proj]")).isEmpty();
  }

  @Test
  void reportsATargetInNoLinearLayerNameListingTheNames() {
    List<SettingProblem> problems = check("peft4j.galore.target = [mlp, attention]");

    assertThat(problems).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.galore.target");
      assertThat(p.message()).contains("\"attention\"").contains("llama model")
          .contains("self_attn.q_proj, self_attn.k_proj, self_attn.v_proj, self_attn.o_proj, mlp.gate_proj, "
              + "mlp.up_proj, mlp.down_proj");
    });
  }

  @Test
  void createsAnOptimizerHookThatOwnsEveryUpdateAndStepsDuringBackwardOnlyWhenLayerwise() {
    GaloreSettings defaults = factory.readSettings(new SettingsReader(ConfigFactory.defaultReference(), "peft4j.galore"));
    GaloreSettings layerwise = factory.readSettings(new SettingsReader(
        ConfigFactory.parseString("peft4j.galore.layerwise = true").withFallback(ConfigFactory.defaultReference()),
        "peft4j.galore"));

    try (PeftMethod plain = factory.create(defaults, null); PeftMethod perLayer = factory.create(layerwise, null)) {
      assertThat(plain).isInstanceOf(OptimizerHook.class);
      assertThat(((OptimizerHook) plain).ownsUpdate(null)).isTrue();
      assertThat(((OptimizerHook) plain).stepsDuringBackward()).isFalse();
      assertThat(((OptimizerHook) perLayer).stepsDuringBackward()).isTrue();
    }
  }
}
