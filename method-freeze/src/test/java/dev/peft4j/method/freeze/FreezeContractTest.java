package dev.peft4j.method.freeze;

import dev.peft4j.tck.MethodContract;
import dev.peft4j.tck.MethodUnderTest;
import org.junit.jupiter.api.Nested;
/** The built-in freeze selector keeps the contract: the last decoder layer's MLP and the final norm train. */
class FreezeContractTest extends MethodContract {

  @Override
  protected MethodUnderTest method() {
    return MethodUnderTest.method("freeze")
        .settings("freeze { trainable-layers = 1, trainable-modules = [mlp], extra-modules = [norm] }")
        // gate, up, down of layer 1, and model.norm
        .trainableParameters(64 * 32 + 64 * 32 + 32 * 64 + 32)
        .ruleNotExercised("needs-layer-count", "the kit model's config.json always states num_hidden_layers")
        .unsupported("module \"attn\" is not in the decoder layers", "freeze.trainable-modules = [attn]")
        .unsupported("asks for 3 layers but the model has 2", "freeze.trainable-layers = -3");
  }

  /** The same contract on the kit's Qwen3 model (q/k norms, head_dim 16 apart from hidden / heads). */
  @Nested
  class OnQwen3 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      // its MLP is Llama's: the same count
      return FreezeContractTest.this.method().onModel("qwen3");
    }
  }

  /** The same contract on the kit's Phi-3 model (fused qkv_proj and gate_up_proj). */
  @Nested
  class OnPhi3 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      // gate_up [128, 32] and down [32, 64]: the same count as gate, up and down
      return FreezeContractTest.this.method().onModel("phi3");
    }
  }

  /** The same contract on the kit's Gemma 2 model ((1 + w) norms, GeGLU, soft-caps, a sliding window). */
  @Nested
  class OnGemma2 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      return FreezeContractTest.this.method().onModel("gemma2");
    }
  }
}
