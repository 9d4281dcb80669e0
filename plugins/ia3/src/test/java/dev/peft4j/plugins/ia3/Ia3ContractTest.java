package dev.peft4j.plugins.ia3;

import dev.peft4j.tck.MethodContract;
import dev.peft4j.tck.MethodUnderTest;
import dev.peft4j.tck.Promise;

/** IA³ keeps the contract of every peft4j method, checked by the plugin test kit. */
class Ia3ContractTest extends MethodContract {

  @Override
  protected MethodUnderTest method() {
    return MethodUnderTest.method("ia3")
        .promises(Promise.UNCHANGED_OUTPUT_AT_INIT)
        // per layer of the kit model: k_proj and v_proj scale 16 outputs each, down_proj scales 64 inputs
        .trainableParameters(2 * (16 + 16 + 64))
        .breaks("not-with-selector", "methods = [ia3, freeze]")
        .breaks("not-with-optimizer-replacement", "methods = [ia3, galore]")
        .unsupported("no module of this llama model is named \"kv_proj\"", "ia3.target = [kv_proj]")
        .unsupported("feed-forward modules must be targets too", "ia3.feedforward-modules = [up_proj]");
  }
}
