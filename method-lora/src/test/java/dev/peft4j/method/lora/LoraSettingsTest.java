package dev.peft4j.method.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.method.lora.LoraSettings.Bias;
import dev.peft4j.method.lora.LoraSettings.Init;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LoraSettingsTest {

  private SettingsReader reader;

  /** Reads peft4j.lora from a user configuration laid over the module's reference.conf. */
  private LoraSettings read(String userConf) {
    Config config = ConfigFactory.parseString(userConf).withFallback(ConfigFactory.defaultReference()).resolve();
    reader = new SettingsReader(config, "peft4j.lora");
    return new LoraMethodFactory().readSettings(reader);
  }

  private SettingProblem onlyProblem() {
    assertThat(reader.problems()).hasSize(1);
    return reader.problems().get(0);
  }

  @Test
  void defaultsAreThoseOfPeft() {
    LoraSettings s = read("");

    assertThat(reader.problems()).isEmpty();
    assertThat(s.rank()).isEqualTo(8);
    assertThat(s.alpha()).isEqualTo(8.0);
    assertThat(s.dropout()).isZero();
    assertThat(s.target().names()).containsExactly("q_proj", "v_proj");
    assertThat(s.target().regex()).isNull();
    assertThat(s.target().allLinear()).isFalse();
    assertThat(s.excludeModules()).isEmpty();
    assertThat(s.layersToTransform()).isEmpty();
    assertThat(s.rankPattern()).isEmpty();
    assertThat(s.alphaPattern()).isEmpty();
    assertThat(s.bias()).isEqualTo(Bias.NONE);
    assertThat(s.init()).isEqualTo(new Init(Init.Kind.DEFAULT, 0));
    assertThat(s.useRslora()).isFalse();
    assertThat(s.useDora()).isFalse();
    assertThat(s.loraplusLrRatio()).isEmpty();
    assertThat(s.loraplusLrEmbedding()).isEqualTo(1e-6);
    assertThat(s.modulesToSave()).isEmpty();
  }

  private LoraTargets targets(String settings) {
    return new LoraTargets(read(settings));
  }

  @Test
  void defaultScalingIsAlphaOverRankThatIsOne() {
    assertThat(targets("").scaling("model.layers.0.self_attn.q_proj")).isEqualTo(1.0);
    assertThat(targets("peft4j.lora { rank = 16, alpha = 32 }").scaling("model.layers.0.self_attn.q_proj")).isEqualTo(2.0);
  }

  @Test
  void rsLoraScalesByAlphaOverTheSquareRootOfRank() {
    assertThat(targets("peft4j.lora.use-rslora = true").scaling("x.q_proj")).isCloseTo(8 / Math.sqrt(8), Offset.offset(1e-12));
    assertThat(targets("peft4j.lora { use-rslora = true, rank = 16, alpha = 32 }").scaling("x.q_proj")).isEqualTo(8.0);
  }

  @Test
  void rankAndAlphaPatternsApplyTheFirstMatchingPatternAsWritten() {
    LoraTargets t = targets("peft4j.lora { rank = 8, alpha = 16, rank-pattern { \"layers\\\\.0\\\\..*q_proj\" = 4, "
        + "\"q_proj\" = 2 }, alpha-pattern { \"v_proj\" = 64 } }");

    assertThat(t.rank("model.layers.0.self_attn.q_proj")).isEqualTo(4);
    assertThat(t.rank("model.layers.1.self_attn.q_proj")).isEqualTo(2);
    assertThat(t.rank("model.layers.1.self_attn.v_proj")).isEqualTo(8);
    assertThat(t.scaling("model.layers.1.self_attn.v_proj")).isEqualTo(8.0);
  }

  @Test
  void targetsFollowPeftsMatching() {
    java.util.OptionalInt layer0 = java.util.OptionalInt.of(0);
    java.util.OptionalInt layer1 = java.util.OptionalInt.of(1);
    LoraTargets names = targets("peft4j.lora { target = [q_proj, \"mlp.up_proj\"], layers-to-transform = [1] }");
    LoraTargets regex = targets("peft4j.lora.target = \".*layers\\\\.0\\\\.self_attn\\\\.(k|v)_proj\"");
    LoraTargets all = targets("peft4j.lora { target = all-linear, exclude-modules = [down_proj] }");

    assertThat(names.targets("model.layers.1.self_attn.q_proj", layer1, false)).isTrue();
    assertThat(names.targets("model.layers.1.mlp.up_proj", layer1, false)).isTrue();
    assertThat(names.targets("model.layers.0.self_attn.q_proj", layer0, false)).isFalse();
    assertThat(names.targets("model.layers.1.self_attn.xq_proj", layer1, false)).isFalse();
    assertThat(regex.targets("model.layers.0.self_attn.v_proj", layer0, false)).isTrue();
    assertThat(regex.targets("model.layers.0.self_attn.q_proj", layer0, false)).isFalse();
    assertThat(all.targets("model.layers.0.mlp.gate_proj", layer0, false)).isTrue();
    assertThat(all.targets("model.layers.0.mlp.down_proj", layer0, false)).isFalse();
    assertThat(all.targets("lm_head", java.util.OptionalInt.empty(), true)).isFalse();
  }

  @Test
  void rejectsRankBelowOne() {
    read("peft4j.lora.rank = 0");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.lora.rank");
    assertThat(onlyProblem().message()).isEqualTo("must be at least 1, got 0");
  }

  @Test
  void acceptsARankWrittenAsAString() {
    assertThat(read("peft4j.lora.rank = \"16\"").rank()).isEqualTo(16);
    assertThat(reader.problems()).isEmpty();
  }

  @Test
  void rejectsAFractionalRank() {
    read("peft4j.lora.rank = 8.5");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.lora.rank");
    assertThat(onlyProblem().message()).startsWith("expected an integer");
  }

  @ParameterizedTest
  @ValueSource(strings = {"-8", "0"})
  void rejectsAlphaThatIsNotPositive(String alpha) {
    read("peft4j.lora.alpha = " + alpha);

    assertThat(onlyProblem().path()).isEqualTo("peft4j.lora.alpha");
    assertThat(onlyProblem().message()).startsWith("must be positive");
  }

  @Test
  void rejectsDropoutOfOneAndAHalf() {
    read("peft4j.lora.dropout = 1.5");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.lora.dropout");
    assertThat(onlyProblem().message()).contains("between 0.0 and 0.999").contains("1.5");
  }

  @Test
  void acceptsDropoutInRange() {
    assertThat(read("peft4j.lora.dropout = 0.05").dropout()).isEqualTo(0.05);
    assertThat(reader.problems()).isEmpty();
  }

  @Test
  void reportsEveryBadValueAtOnce() {
    read("peft4j.lora { rank = 0, alpha = -1, dropout = 2, bias = some }");

    assertThat(reader.problems()).extracting(SettingProblem::path)
        .containsExactlyInAnyOrder("peft4j.lora.rank", "peft4j.lora.alpha", "peft4j.lora.dropout", "peft4j.lora.bias");
  }

  @Test
  void aSingleStringTargetIsARegularExpression() {
    LoraSettings s = read("peft4j.lora.target = \".*[.](q|v)_proj\"");

    assertThat(reader.problems()).isEmpty();
    assertThat(s.target().names()).isEmpty();
    assertThat(s.target().allLinear()).isFalse();
    assertThat(s.target().regex().pattern()).isEqualTo(".*[.](q|v)_proj");
    assertThat(s.target().regex().matcher("model.layers.0.self_attn.q_proj").matches()).isTrue();
  }

  @Test
  void rejectsATargetStringThatIsNotARegularExpression() {
    LoraSettings s = read("peft4j.lora.target = \"q_proj[\"");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.lora.target");
    assertThat(onlyProblem().message()).contains("\"q_proj[\" is not one").contains("Write a list");
    assertThat(s.target().regex()).isNull();
  }

  @Test
  void allLinearTargetsEveryLinearLayer() {
    LoraSettings s = read("peft4j.lora.target = all-linear");

    assertThat(reader.problems()).isEmpty();
    assertThat(s.target().allLinear()).isTrue();
    assertThat(s.target().names()).isEmpty();
    assertThat(s.target().regex()).isNull();
  }

  @Test
  void rejectsAnEmptyTargetList() {
    read("peft4j.lora.target = []");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.lora.target");
    assertThat(onlyProblem().message()).startsWith("is empty");
  }

  @Test
  void layersToTransformCannotGoWithARegexTargetAsInPeft() {
    read("peft4j.lora { target = \".*q_proj\", layers-to-transform = [0, 1] }");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.lora.layers-to-transform");
    assertThat(onlyProblem().message()).contains("cannot be used when target is a regular expression");
  }

  @Test
  void layersToTransformGoesWithATargetList() {
    LoraSettings s = read("peft4j.lora.layers-to-transform = [0, 1]");

    assertThat(reader.problems()).isEmpty();
    assertThat(s.layersToTransform()).containsExactly(0, 1);
  }

  @Test
  void rejectsANegativeLayerIndex() {
    read("peft4j.lora.layers-to-transform = [1, -2]");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.lora.layers-to-transform");
    assertThat(onlyProblem().message()).contains("-2");
  }

  @Test
  void initPissaNiterNIsPissaWithNIterations() {
    assertThat(read("peft4j.lora.init = pissa_niter_4").init()).isEqualTo(new Init(Init.Kind.PISSA, 4));
    assertThat(reader.problems()).isEmpty();
  }

  @Test
  void initPissaIsExactPissaWithNoIterations() {
    assertThat(read("peft4j.lora.init = pissa").init()).isEqualTo(new Init(Init.Kind.PISSA, 0));
    assertThat(reader.problems()).isEmpty();
  }

  @Test
  void pissaConvertIsRefusedForAnRsLoraAdapterWithPatternsAsPeftRefusesIt() {
    assertThat(read("peft4j.lora { init = pissa, pissa-convert = true, use-rslora = true }").pissaConvert()).isTrue();
    assertThat(reader.problems()).isEmpty();
    read("peft4j.lora { init = pissa, pissa-convert = true, use-rslora = true, rank-pattern { q_proj = 4 } }");
    assertThat(onlyProblem().path()).isEqualTo("peft4j.lora.pissa-convert");
    assertThat(onlyProblem().message()).contains("rank-pattern or alpha-pattern");
    read("peft4j.lora { init = pissa, pissa-convert = true, rank-pattern { q_proj = 4 } }");
    assertThat(reader.problems()).as("without rsLoRA, doubled ranks and alphas keep each scaling").isEmpty();
  }

  @Test
  void initAcceptsGaussianAndTrue() {
    assertThat(read("peft4j.lora.init = gaussian").init()).isEqualTo(new Init(Init.Kind.GAUSSIAN, 0));
    assertThat(read("peft4j.lora.init = true").init()).isEqualTo(new Init(Init.Kind.DEFAULT, 0));
    assertThat(reader.problems()).isEmpty();
  }

  @Test
  void rejectsInitSvd() {
    assertThat(read("peft4j.lora.init = svd").init()).isEqualTo(new Init(Init.Kind.DEFAULT, 0));

    assertThat(onlyProblem().path()).isEqualTo("peft4j.lora.init");
    assertThat(onlyProblem().message()).contains("default, gaussian, pissa, pissa_niter_N").contains("\"svd\"");
  }

  @Test
  void rejectsPissaWithZeroIterations() {
    read("peft4j.lora.init = pissa_niter_0");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.lora.init");
    assertThat(onlyProblem().message()).contains("1 <= N <= 9999");
  }

  @Test
  void reportsPissaIterationsTooLargeForAnIntInsteadOfThrowing() {
    read("peft4j.lora.init = pissa_niter_99999999999");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.lora.init");
  }

  @Test
  void biasAcceptsPeftsLoraOnly() {
    assertThat(read("peft4j.lora.bias = lora_only").bias()).isEqualTo(Bias.LORA_ONLY);
    assertThat(read("peft4j.lora.bias = all").bias()).isEqualTo(Bias.ALL);
    assertThat(reader.problems()).isEmpty();
  }

  @Test
  void rejectsAnUnknownBiasListingTheChoices() {
    read("peft4j.lora.bias = some");

    assertThat(onlyProblem().message()).isEqualTo("must be one of none, all, lora-only, got \"some\"");
  }

  @Test
  void readsRankAndAlphaPatternsWithRegexKeys() {
    LoraSettings s = read("""
        peft4j.lora.rank-pattern { "model[.]layers[.]0[.].*q_proj" = 16 }
        peft4j.lora.alpha-pattern { v_proj = 32 }
        """);

    assertThat(reader.problems()).isEmpty();
    assertThat(s.rankPattern()).containsExactly(entry("model[.]layers[.]0[.].*q_proj", 16.0));
    assertThat(s.alphaPattern()).containsExactly(entry("v_proj", 32.0));
  }

  @Test
  void rejectsAPatternKeyThatIsNotARegexAndAValueThatIsNotPositive() {
    read("peft4j.lora.rank-pattern { \"q_proj(\" = 4, v_proj = 0 }");

    assertThat(reader.problems()).extracting(SettingProblem::path)
        .containsExactly("peft4j.lora.rank-pattern", "peft4j.lora.rank-pattern");
    assertThat(reader.problems()).extracting(SettingProblem::message)
        .anySatisfy(m -> assertThat(m).contains("\"q_proj(\" is not a regular expression"))
        .anySatisfy(m -> assertThat(m).contains("value for \"v_proj\" must be positive"));
  }

  @Test
  void rejectsAFractionalRankInRankPattern() {
    read("peft4j.lora.rank-pattern { q_proj = 4.5 }");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.lora.rank-pattern");
  }

  @Test
  void loraPlusRatioTurnsLoraPlusOn() {
    assertThat(read("peft4j.lora.loraplus-lr-ratio = 16").loraplusLrRatio()).hasValue(16.0);
    assertThat(reader.problems()).isEmpty();
  }

  @Test
  void rejectsALoraPlusRatioThatIsNotPositive() {
    read("peft4j.lora.loraplus-lr-ratio = 0");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.lora.loraplus-lr-ratio");
    assertThat(onlyProblem().message()).contains("must be positive");
  }

  @Test
  void rejectsANegativeLoraPlusEmbeddingRate() {
    read("peft4j.lora.loraplus-lr-embedding = -1e-6");

    assertThat(onlyProblem().path()).isEqualTo("peft4j.lora.loraplus-lr-embedding");
  }

  @Test
  void readsDoraAndListsOfModules() {
    LoraSettings s = read("peft4j.lora { use-dora = true, exclude-modules = [lm_head], modules-to-save = embed_tokens }");

    assertThat(reader.problems()).isEmpty();
    assertThat(s.useDora()).isTrue();
    assertThat(s.excludeModules()).containsExactly("lm_head");
    assertThat(s.modulesToSave()).containsExactly("embed_tokens");
  }

  @Test
  void reportsAWronglyTypedAlphaOnce() {
    read("peft4j.lora.alpha = eight");

    assertThat(onlyProblem().message()).startsWith("expected a number");
  }
}
