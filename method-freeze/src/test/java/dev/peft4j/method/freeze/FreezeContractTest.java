package dev.peft4j.method.freeze;

import dev.peft4j.tck.MethodContract;
import dev.peft4j.tck.MethodUnderTest;
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
}
