package dev.peft4j.method.freeze;

import dev.peft4j.tck.MethodContract;
import dev.peft4j.tck.MethodUnderTest;
import org.junit.jupiter.api.Nested;
/** The built-in full fine-tuning selector keeps the contract: every parameter trains. */
class FullContractTest extends MethodContract {

  @Override
  protected MethodUnderTest method() {
    return MethodUnderTest.method("full").trainableParameters(24_992);
  }

  /** The same contract on the kit's Qwen3 model (q/k norms, head_dim 16 apart from hidden / heads). */
  @Nested
  class OnQwen3 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      return FullContractTest.this.method().onModel("qwen3").trainableParameters(31_200);
    }
  }

  /** The same contract on the kit's Phi-3 model (fused qkv_proj and gate_up_proj). */
  @Nested
  class OnPhi3 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      // the fused projections hold the same weights as Llama's separate ones
      return FullContractTest.this.method().onModel("phi3");
    }
  }

  /** The same contract on the kit's Gemma 2 model ((1 + w) norms, GeGLU, soft-caps, a sliding window). */
  @Nested
  class OnGemma2 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      // llama's and two more norms a layer
      return FullContractTest.this.method().onModel("gemma2").trainableParameters(25_120);
    }
  }
}
