package dev.peft4j.method.freeze;

import dev.peft4j.tck.MethodUnderTest;

/** Full fine-tuning keeps the contract on the kit's Qwen3 model: every parameter trains. */
class FullQwen3ContractTest extends FullContractTest {

  @Override
  protected MethodUnderTest method() {
    return super.method().onModel("qwen3")
        .trainableParameters(31_200);
  }
}
