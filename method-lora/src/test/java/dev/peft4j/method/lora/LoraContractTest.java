package dev.peft4j.method.lora;

import dev.peft4j.tck.MethodContract;
import dev.peft4j.tck.MethodUnderTest;
import dev.peft4j.tck.Promise;
import org.junit.jupiter.api.Nested;

/** The built-in LoRA keeps the contract: rank 4 on q_proj and v_proj of the kit model. */
class LoraContractTest extends MethodContract {

  @Override
  protected MethodUnderTest method() {
    return MethodUnderTest.method("lora")
        .settings("lora { rank = 4, alpha = 8, target = [q_proj, v_proj] }")
        .promises(Promise.UNCHANGED_OUTPUT_AT_INIT)
        // 2 layers x (q: A 4x32 + B 32x4, v: A 4x32 + B 16x4)
        .trainableParameters(2 * (4 * 32 + 32 * 4 + 4 * 32 + 16 * 4))
        .breaks("not-with-galore", "methods = [full, lora, galore]")
        .breaks("not-with-badam", "methods = [full, lora, badam]")
        .breaks("not-with-selector", "methods = [lora, freeze]")
        .breaks("loraplus-needs-lora", "methods = [full]", "lora.loraplus-lr-ratio = 16")
        .breaks("rslora-needs-lora", "methods = [full]", "lora.use-rslora = true")
        .breaks("dora-needs-lora", "methods = [full]", "lora.use-dora = true")
        .breaks("pissa-needs-lora", "methods = [full]", "lora.init = pissa")
        .breaks("pissa-not-on-quantized-base", "lora.init = pissa", "model.quantization = nf4")
        .breaks("pissa-convert-needs-pissa", "lora.pissa-convert = true")
        .breaks("pissa-convert-not-with-dora", "lora.init = pissa", "lora.pissa-convert = true", "lora.use-dora = true")
        .unsupported("no module of this", "lora.modules-to-save = [embeddings]")
        .unsupported("model is named \"qkv\"", "lora.target = [qkv]");
  }

  /** The same contract on the kit's Qwen3 model (q/k norms, head_dim 16 apart from hidden / heads). */
  @Nested
  class OnQwen3 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      // 2 layers x (q: A 4x32 + B 64x4, v: A 4x32 + B 32x4)
      return LoraContractTest.this.method().onModel("qwen3").trainableParameters(2 * (4 * 32 + 64 * 4 + 4 * 32 + 32 * 4));
    }
  }

  /** The same contract on the kit's Phi-3 model (fused qkv_proj and gate_up_proj). */
  @Nested
  class OnPhi3 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      // one adapter over the fused qkv_proj of each layer: A 4x32 + B 64x4
      return LoraContractTest.this.method().onModel("phi3").settings("lora.target = [qkv_proj]")
          .trainableParameters(2 * (4 * 32 + 64 * 4));
    }
  }

  /** The same contract on the kit's Gemma 2 model ((1 + w) norms, GeGLU, soft-caps, a sliding window). */
  @Nested
  class OnGemma2 extends MethodContract {

    @Override
    protected MethodUnderTest method() {
      return LoraContractTest.this.method().onModel("gemma2");
    }
  }
}
