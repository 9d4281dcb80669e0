package dev.peft4j.runtime.rules;

import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.rules.Condition.RuntimeFact;
import dev.peft4j.runtime.nn.Bf16Support;
import java.util.Optional;

/**
 * Facts from the model's config.json and from the device ({@link Bf16Support}: a CUDA GPU of compute capability
 * 8.0 or newer, or a CPU with AVX512-BF16 or AMX-BF16). The device is only asked when a rule needs it, and
 * without starting the PyTorch engine.
 */
public final class DefaultRunFacts implements RunFacts {

  private final Optional<ModelInfo> model;
  private Boolean bf16;

  public DefaultRunFacts(Optional<ModelInfo> model) {
    this.model = model;
  }

  @Override
  public Optional<Boolean> get(RuntimeFact fact) {
    return switch (fact) {
      case MODEL_LAYER_COUNT_KNOWN -> model.map(m -> m.layerCount().isPresent());
      case DEVICE_SUPPORTS_BF16 -> Optional.of(deviceSupportsBf16());
    };
  }

  private synchronized boolean deviceSupportsBf16() {
    if (bf16 == null) {
      bf16 = Bf16Support.detect().nativeBf16();
    }
    return bf16;
  }
}
