package dev.peft4j.method.galore;

import dev.peft4j.tck.MethodContract;
import dev.peft4j.tck.MethodUnderTest;
import org.junit.jupiter.api.Nested;
/** GaLore keeps the contract; its projectors are recomputed every step of the kit's four. */
class GaloreContractTest extends MethodContract {

  @Override
  protected MethodUnderTest method() {
    return MethodUnderTest.method("galore")
        .runWith("full")
        .settings("galore.rank = 2", "galore.update-interval = 1")
        .breaks("layerwise-without-accumulation", "galore.layerwise = true",
            "training.gradient-accumulation-steps = 2")
        .breaks("layerwise-single-device", "galore.layerwise = true", "training.devices = 2")
        .breaks("layerwise-no-clipping", "galore.layerwise = true", "training.max-grad-norm = 1.0")
        .unsupported("model has \"router\"", "galore.target = [router]");
  }

  /** The same contract on the kit's Qwen3 model (q/k norms, head_dim 16 apart from hidden / heads). */
  @Nested
  class OnQwen3 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      return GaloreContractTest.this.method().onModel("qwen3");
    }
  }

  /** The same contract on the kit's Phi-3 model (fused qkv_proj and gate_up_proj). */
  @Nested
  class OnPhi3 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      return GaloreContractTest.this.method().onModel("phi3");
    }
  }

  /** The same contract on the kit's Gemma 2 model ((1 + w) norms, GeGLU, soft-caps, a sliding window). */
  @Nested
  class OnGemma2 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      return GaloreContractTest.this.method().onModel("gemma2");
    }
  }
}
