package dev.peft4j.method.badam;

import dev.peft4j.tck.MethodContract;
import dev.peft4j.tck.MethodUnderTest;
/** BAdam keeps the contract; blocks switch every step so that the kit's four steps train every block. */
class BadamContractTest extends MethodContract {

  @Override
  protected MethodUnderTest method() {
    return MethodUnderTest.method("badam")
        .runWith("full")
        .settings("badam.switch-interval = 1", "badam.include-embedding = true", "badam.include-lm-head = true")
        .breaks("needs-full", "methods = [freeze, badam]")
        .breaks("ratio-single-device", "badam.mode = ratio", "training.devices = 2")
        .ruleNotExercised("pure-bf16-where-supported", "needs a device with native bf16; the kit validates as on one without")
        .breaks("no-bf16-on-device");
  }
}
