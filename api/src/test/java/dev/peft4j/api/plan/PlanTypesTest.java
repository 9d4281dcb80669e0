package dev.peft4j.api.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peft4j.api.MethodContext;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.model.ModelInfo;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlanTypesTest {

  private static final ModelInfo INFO = new ModelInfo("llama", OptionalInt.of(1), List.of("mlp"), List.of("mlp.up_proj"),
      List.of("embed_tokens"));

  @Test
  void aParameterSizeIsTheProductOfItsShapeWithoutOverflowingSilently() {
    assertThat(ParameterShape.frozen("w", OptionalInt.empty(), 8192, 28672).size()).isEqualTo(8192L * 28672);
    assertThat(ParameterShape.trainable("s", OptionalInt.of(0)).size()).isEqualTo(1); // a scalar
    assertThatThrownBy(() -> ParameterShape.frozen("huge", OptionalInt.empty(), Long.MAX_VALUE, 2).size())
        .isInstanceOf(ArithmeticException.class);
    assertThatThrownBy(() -> ParameterShape.frozen("bad", OptionalInt.empty(), 3, -1))
        .hasMessageContaining("negative dimension");
  }

  @Test
  void onlyTheEmbeddingsOutsideTheLayersSitBelowThem() {
    assertThat(ParameterShape.frozen("model.embed_tokens.weight", OptionalInt.empty(), 8, 4).belowLayers()).isTrue();
    assertThat(ParameterShape.trainable("model.embed_tokens.lora_embedding_A", OptionalInt.empty(), 2, 8).belowLayers())
        .isTrue();
    assertThat(ParameterShape.frozen("lm_head.weight", OptionalInt.empty(), 8, 4).belowLayers()).isFalse();
    assertThat(ParameterShape.frozen("model.norm.weight", OptionalInt.empty(), 4).belowLayers()).isFalse();
    assertThat(ParameterShape.frozen("model.layers.0.mlp.embed_tokens_like.weight", OptionalInt.of(0), 4).belowLayers())
        .isFalse();
  }

  @Test
  void aModelShapeCountsAllAndTrainableValues() {
    ModelShape shape = new ModelShape(INFO, List.of(ParameterShape.frozen("a", OptionalInt.empty(), 4, 3),
        ParameterShape.trainable("b", OptionalInt.of(0), 5)), List.of());
    assertThat(shape.size()).isEqualTo(17);
    assertThat(shape.trainableSize()).isEqualTo(5);
    assertThat(shape.parameter("a").orElseThrow().withTrainable(true).trainable()).isTrue();
    assertThat(shape.parameter("c")).isEmpty();
  }

  @Test
  void theBuilderCollectsInOrderAndSumsActivations() {
    MethodPlan plan = MethodPlan.builder().train("x").train("y").activations(3, 10).activations(2, 0)
        .cost("x", OptimizerCost.NONE).note("n").build();
    assertThat(plan.trainable()).containsExactly("x", "y");
    assertThat(plan.activationValuesPerToken()).isEqualTo(5);
    assertThat(plan.activationValuesPerPass()).isEqualTo(10);
    assertThatThrownBy(() -> new OptimizerCost(-1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aMethodThatDoesNotPlanCannotBePriced() {
    MethodFactory<String> factory = new MethodFactory<>() {
      @Override
      public MethodDescriptor descriptor() {
        return new MethodDescriptor("x", Set.of(MethodKind.SELECTOR), "1", "x", Set.of(), List.of());
      }

      @Override
      public String readSettings(SettingsReader reader) {
        return "";
      }

      @Override
      public PeftMethod create(String settings, MethodContext context) {
        return null;
      }
    };
    assertThat(factory.plan("", new ModelShape(INFO, List.of(), List.of()))).isEmpty();
  }
}
