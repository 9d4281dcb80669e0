package dev.peft4j.method.freeze;

import dev.peft4j.tck.MethodUnderTest;

/** The freeze selector keeps the contract on the kit's Qwen3 model (its MLP is Llama's: the same count). */
class FreezeQwen3ContractTest extends FreezeContractTest {

  @Override
  protected MethodUnderTest method() {
    return super.method().onModel("qwen3");
  }
}
