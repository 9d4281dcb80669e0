package dev.peft4j.method.freeze;

import dev.peft4j.tck.MethodContract;
import dev.peft4j.tck.MethodUnderTest;
/** The built-in full fine-tuning selector keeps the contract: every parameter trains. */
class FullContractTest extends MethodContract {

  @Override
  protected MethodUnderTest method() {
    return MethodUnderTest.method("full").trainableParameters(24_992);
  }
}
