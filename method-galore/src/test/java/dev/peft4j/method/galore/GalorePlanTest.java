package dev.peft4j.method.galore;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.plan.LinearShape;
import dev.peft4j.api.plan.MethodPlan;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.api.plan.OptimizerCost;
import dev.peft4j.api.plan.ParameterShape;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class GalorePlanTest {

  /** Two layers (the second's MLP wider), embeddings and a head, everything trainable as under {@code full}. */
  private static final ModelShape MODEL = new ModelShape(
      new ModelInfo("llama", OptionalInt.of(2), List.of("self_attn", "mlp"), List.of("self_attn.q_proj", "mlp.up_proj"),
          List.of("embed_tokens", "norm", "lm_head")),
      List.of(ParameterShape.trainable("model.embed_tokens.weight", OptionalInt.empty(), 40, 8),
          ParameterShape.trainable("model.layers.0.self_attn.q_proj.weight", OptionalInt.of(0), 8, 8),
          ParameterShape.trainable("model.layers.0.mlp.up_proj.weight", OptionalInt.of(0), 16, 8),
          ParameterShape.trainable("model.layers.1.self_attn.q_proj.weight", OptionalInt.of(1), 8, 8),
          ParameterShape.trainable("model.layers.1.mlp.up_proj.weight", OptionalInt.of(1), 32, 8),
          ParameterShape.trainable("model.norm.weight", OptionalInt.empty(), 8),
          ParameterShape.trainable("lm_head.weight", OptionalInt.empty(), 40, 8)),
      List.of(new LinearShape("model.layers.0.self_attn.q_proj", 8, 8, false, OptionalInt.of(0), false),
          new LinearShape("model.layers.0.mlp.up_proj", 8, 16, false, OptionalInt.of(0), false),
          new LinearShape("model.layers.1.self_attn.q_proj", 8, 8, false, OptionalInt.of(1), false),
          new LinearShape("model.layers.1.mlp.up_proj", 8, 32, false, OptionalInt.of(1), false),
          new LinearShape("lm_head", 8, 40, false, OptionalInt.empty(), false)));

  private static GaloreSettings settings(String conf) {
    SettingsReader reader = new SettingsReader(ConfigFactory.parseString(conf)
        .withFallback(ConfigFactory.defaultReference()).resolve(), "peft4j.galore");
    return new GaloreMethodFactory().readSettings(reader);
  }

  @Test
  void theLargestStageIsTheLayerOrTheEmbeddingsOrTheHeadWithTheMostTrainableValues() {
    // layer 1: 64 + 256 = 320 values; the head: 320 + 8 = 328; the embeddings: 320; layer 0: 192
    assertThat(GalorePlan.largestStage(MODEL)).containsExactlyInAnyOrder("lm_head.weight", "model.norm.weight");
  }

  @Test
  void layerWiseGaLoreKeepsTheGradientsOfTheLargestStageOnlyAsTheTrainerFreesThemStageByStage() {
    Map<String, OptimizerCost> costs = GalorePlan.of(settings("peft4j.galore.layerwise = true"), MODEL).optimizer();

    assertThat(costs.get("lm_head.weight").gradientValues()).isEqualTo(320);
    assertThat(costs.get("model.norm.weight").gradientValues()).isEqualTo(8);
    assertThat(costs.entrySet()).filteredOn(e -> !e.getKey().equals("lm_head.weight") && !e.getKey().equals("model.norm.weight"))
        .allSatisfy(e -> assertThat(e.getValue().gradientValues()).as(e.getKey()).isZero());
    // without layer-wise, every trainable parameter holds its gradient at the peak
    MethodPlan whole = GalorePlan.of(settings(""), MODEL);
    assertThat(whole.optimizer().get("model.layers.1.mlp.up_proj.weight").gradientValues()).isEqualTo(256);
  }
}
