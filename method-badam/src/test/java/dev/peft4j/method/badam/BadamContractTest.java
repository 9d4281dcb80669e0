package dev.peft4j.method.badam;

import dev.peft4j.tck.MethodContract;
import dev.peft4j.tck.MethodUnderTest;
import org.junit.jupiter.api.Nested;
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

  /** The same contract on the kit's Qwen3 model (q/k norms, head_dim 16 apart from hidden / heads). */
  @Nested
  class OnQwen3 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      return BadamContractTest.this.method().onModel("qwen3");
    }
  }

  /** The same contract on the kit's Phi-3 model (fused qkv_proj and gate_up_proj). */
  @Nested
  class OnPhi3 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      return BadamContractTest.this.method().onModel("phi3");
    }
  }

  /** The same contract on the kit's Gemma 2 model ((1 + w) norms, GeGLU, soft-caps, a sliding window). */
  @Nested
  class OnGemma2 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      return BadamContractTest.this.method().onModel("gemma2");
    }
  }
}
