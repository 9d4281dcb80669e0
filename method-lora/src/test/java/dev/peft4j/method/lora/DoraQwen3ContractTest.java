package dev.peft4j.method.lora;

import dev.peft4j.tck.MethodUnderTest;

/** DoRA keeps the contract on the kit's Qwen3 model, on every linear layer. */
class DoraQwen3ContractTest extends DoraContractTest {

  @Override
  protected MethodUnderTest method() {
    return super.method().onModel("qwen3")
        // per layer, (A: 2 x in) + (B: out x 2) + magnitude (out), for q, k, v, o, gate, up, down
        .trainableParameters(2 * ((2 * 32 + 64 * 2 + 64) + 2 * (2 * 32 + 32 * 2 + 32) + (2 * 64 + 32 * 2 + 32)
            + 2 * (2 * 32 + 64 * 2 + 64) + (2 * 64 + 32 * 2 + 32)));
  }
}
