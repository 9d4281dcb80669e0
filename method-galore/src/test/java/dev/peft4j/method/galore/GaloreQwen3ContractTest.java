package dev.peft4j.method.galore;

import dev.peft4j.tck.MethodUnderTest;

/** GaLore keeps the contract on the kit's Qwen3 model. */
class GaloreQwen3ContractTest extends GaloreContractTest {

  @Override
  protected MethodUnderTest method() {
    return super.method().onModel("qwen3");
  }
}
