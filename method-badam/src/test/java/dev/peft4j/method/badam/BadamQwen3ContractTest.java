package dev.peft4j.method.badam;

import dev.peft4j.tck.MethodUnderTest;

/** BAdam keeps the contract on the kit's Qwen3 model. */
class BadamQwen3ContractTest extends BadamContractTest {

  @Override
  protected MethodUnderTest method() {
    return super.method().onModel("qwen3");
  }
}
