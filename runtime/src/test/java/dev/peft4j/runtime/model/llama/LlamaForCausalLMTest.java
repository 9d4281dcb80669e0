package dev.peft4j.runtime.model.llama;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.runtime.nn.Parameter;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LlamaForCausalLMTest {

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  @Test
  void parametersHaveHuggingFaceNamesAndShapes() {
    Map<String, Parameter> parameters = TinyLlamas.random(manager, TinyLlamas.config("llama", false), 1).namedParameters();

    assertThat(parameters).containsKeys("model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
        "model.layers.1.mlp.down_proj.weight", "model.layers.0.input_layernorm.weight",
        "model.layers.0.post_attention_layernorm.weight", "model.norm.weight", "lm_head.weight");
    assertThat(parameters.get("model.layers.0.self_attn.k_proj.weight").data().getShape()).isEqualTo(new Shape(8, 16));
    assertThat(parameters.get("model.layers.0.mlp.gate_proj.weight").data().getShape()).isEqualTo(new Shape(32, 16));
    assertThat(parameters).hasSize(1 + 2 * 9 + 1 + 1);
  }

  @Test
  void qwen2HasQkvBiasesAndTiedEmbeddingsHaveNoHead() {
    Map<String, Parameter> parameters = TinyLlamas.random(manager, TinyLlamas.config("qwen2", true), 1).namedParameters();

    assertThat(parameters).containsKeys("model.layers.0.self_attn.q_proj.bias", "model.layers.0.self_attn.v_proj.bias")
        .doesNotContainKeys("model.layers.0.self_attn.o_proj.bias", "lm_head.weight");
  }

  @Test
  void logitsAreCausal() {
    LlamaForCausalLM model = TinyLlamas.random(manager, TinyLlamas.config("llama", false), 2);
    NDArray a = model.forward(manager.create(new long[] {5, 6, 7, 8}, new Shape(1, 4)), null);
    NDArray b = model.forward(manager.create(new long[] {5, 6, 9, 1}, new Shape(1, 4)), null);

    assertThat(a.getShape()).isEqualTo(new Shape(1, 4, 40));
    float[] first = a.get("0, :2").toFloatArray();
    float[] second = b.get("0, :2").toFloatArray();
    assertThat(first).containsExactly(second);
    assertThat(a.get("0, 2").toFloatArray()).isNotEqualTo(b.get("0, 2").toFloatArray());
  }

  @Test
  void rightPaddingDoesNotChangeTheRealPositions() {
    LlamaForCausalLM model = TinyLlamas.random(manager, TinyLlamas.config("llama", false), 3);
    NDArray alone = model.forward(manager.create(new long[] {5, 6, 7}, new Shape(1, 3)), null);
    NDArray padded = model.forward(manager.create(new long[] {5, 6, 7, 0, 0, 1, 2, 3, 4, 5}, new Shape(2, 5)),
        new int[][] {{1, 1, 1, 0, 0}, {1, 1, 1, 1, 1}});

    float[] expected = alone.toFloatArray();
    float[] actual = padded.get("0, :3").toFloatArray();
    for (int i = 0; i < expected.length; i++) {
      assertThat(actual[i]).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5f));
    }
  }
}
