package dev.peft4j.method.galore;

import dev.peft4j.tck.MethodContract;
import dev.peft4j.tck.MethodUnderTest;
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
        .unsupported("model has \"qkv\"", "galore.target = [qkv]");
  }
}
