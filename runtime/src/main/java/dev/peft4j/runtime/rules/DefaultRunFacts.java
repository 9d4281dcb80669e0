package dev.peft4j.runtime.rules;

import ai.djl.util.cuda.CudaUtils;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.rules.Condition.RuntimeFact;
import java.util.Optional;

/**
 * Facts from the model's config.json and from CUDA's driver library. The device is only asked when a
 * rule needs it, and without starting the PyTorch engine: bf16 needs a CUDA device of compute
 * capability 8.0 or newer (Ampere); DJL cannot compute in bf16 on the CPU.
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
      bf16 = cudaBf16();
    }
    return bf16;
  }

  private static boolean cudaBf16() {
    try {
      if (!CudaUtils.hasCuda() || CudaUtils.getGpuCount() == 0) {
        return false;
      }
      String capability = CudaUtils.getComputeCapability(0);
      return capability != null && Integer.parseInt(capability.replace(".", "").substring(0, 1)) >= 8;
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }
}
