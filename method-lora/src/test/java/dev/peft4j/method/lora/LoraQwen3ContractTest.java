package dev.peft4j.method.lora;

import dev.peft4j.tck.MethodUnderTest;

/** LoRA keeps the contract on the kit's Qwen3 model (q/k norms, head_dim 16 apart from hidden / heads). */
class LoraQwen3ContractTest extends LoraContractTest {

  @Override
  protected MethodUnderTest method() {
    return super.method().onModel("qwen3")
        // 2 layers x (q: A 4x32 + B 64x4, v: A 4x32 + B 32x4)
        .trainableParameters(2 * (4 * 32 + 64 * 4 + 4 * 32 + 32 * 4));
  }
}
