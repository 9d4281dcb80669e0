package dev.peft4j.method.badam;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peft4j.method.badam.Blocks.Block;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Blocks as the reference's infer_param_groups makes them (its printed prefixes are in fixtures/badam). */
class BlocksTest {

  private static final List<String> LLAMA = List.of("model.embed_tokens.weight",
      "model.layers.0.self_attn.q_proj.weight", "model.layers.0.input_layernorm.weight",
      "model.layers.1.self_attn.q_proj.weight", "model.layers.10.mlp.up_proj.weight", "model.norm.weight",
      "lm_head.weight");

  @Test
  void oneBlockPerDecoderLayer() {
    assertThat(Blocks.infer(LLAMA, false, false)).extracting(Block::describe)
        .containsExactly("['model.layers.0.']", "['model.layers.1.']", "['model.layers.10.']");
  }

  @Test
  void layerOneDoesNotTakeLayerTen() {
    Block one = Blocks.infer(LLAMA, false, false).get(1);

    assertThat(one.contains("model.layers.1.self_attn.q_proj.weight")).isTrue();
    assertThat(one.contains("model.layers.10.mlp.up_proj.weight")).isFalse();
  }

  @Test
  void theEmbeddingFirstAndTheRestLast() {
    assertThat(Blocks.infer(LLAMA, true, true)).extracting(Block::describe).containsExactly(
        "['model.embed_tokens.']", "['model.layers.0.']", "['model.layers.1.']", "['model.layers.10.']",
        "['model.norm.weight', 'lm_head.weight']");
  }

  @Test
  void theHeadBlockTakesTheEmbeddingWhenItIsNotABlockOfItsOwn() {
    assertThat(Blocks.infer(LLAMA, false, true).get(3).describe())
        .isEqualTo("['model.embed_tokens.weight', 'model.norm.weight', 'lm_head.weight']");
  }
}
