package dev.peft4j.method.lora;

import dev.peft4j.tck.MethodContract;
import dev.peft4j.tck.MethodUnderTest;
import dev.peft4j.tck.Promise;
import org.junit.jupiter.api.Nested;

/** LoRA with DoRA (a trainable magnitude per output feature) keeps the contract, on every linear layer. */
class DoraContractTest extends MethodContract {

  @Override
  protected MethodUnderTest method() {
    return MethodUnderTest.method("lora")
        .settings("lora { rank = 2, alpha = 4, target = all-linear, use-dora = true }")
        .promises(Promise.UNCHANGED_OUTPUT_AT_INIT)
        // per layer, (A: 2 x in) + (B: out x 2) + magnitude (out), for q, k, v, o, gate, up, down
        .trainableParameters(2 * (
            (2 * 32 + 32 * 2 + 32) + 2 * (2 * 32 + 16 * 2 + 16) + (2 * 32 + 32 * 2 + 32)
                + 2 * (2 * 32 + 64 * 2 + 64) + (2 * 64 + 32 * 2 + 32)))
        .breaks("not-with-galore", "methods = [full, lora, galore]")
        .breaks("not-with-badam", "methods = [full, lora, badam]")
        .breaks("not-with-selector", "methods = [lora, full]")
        .breaks("loraplus-needs-lora", "methods = [freeze]", "lora.loraplus-lr-ratio = 16")
        .breaks("rslora-needs-lora", "methods = [freeze]", "lora.use-rslora = true")
        .breaks("dora-needs-lora", "methods = [freeze]")
        .breaks("pissa-needs-lora", "methods = [freeze]", "lora.init = pissa_niter_4")
        .breaks("pissa-not-on-quantized-base", "lora.init = pissa", "model.quantization = nf4")
        .breaks("pissa-convert-needs-pissa", "lora.pissa-convert = true")
        .breaks("pissa-convert-not-with-dora", "lora.init = pissa", "lora.pissa-convert = true");
  }

  /** The same contract on the kit's Qwen3 model (q/k norms, head_dim 16 apart from hidden / heads). */
  @Nested
  class OnQwen3 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      // per layer, (A: 2 x in) + (B: out x 2) + magnitude (out), for q, k, v, o, gate, up, down
      return DoraContractTest.this.method().onModel("qwen3").trainableParameters(2 * ((2 * 32 + 64 * 2 + 64)
          + 2 * (2 * 32 + 32 * 2 + 32) + (2 * 64 + 32 * 2 + 32) + 2 * (2 * 32 + 64 * 2 + 64) + (2 * 64 + 32 * 2 + 32)));
    }
  }

  /** The same contract on the kit's Phi-3 model (fused qkv_proj and gate_up_proj). */
  @Nested
  class OnPhi3 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      // per layer, (A: 2 x in) + (B: out x 2) + magnitude (out), for o, qkv, gate_up, down
      return DoraContractTest.this.method().onModel("phi3").trainableParameters(2 * ((2 * 32 + 32 * 2 + 32)
          + (2 * 32 + 64 * 2 + 64) + (2 * 32 + 128 * 2 + 128) + (2 * 64 + 32 * 2 + 32)));
    }
  }

  /** The same contract on the kit's Gemma 2 model ((1 + w) norms, GeGLU, soft-caps, a sliding window). */
  @Nested
  class OnGemma2 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      // q, k, v, o, gate, up, down as llama's
      return DoraContractTest.this.method().onModel("gemma2");
    }
  }
}
