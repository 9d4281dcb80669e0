package dev.peft4j.tck;

/**
 * GaLore's discovery, settings and rules keep the contract. Its training is being implemented elsewhere: when it
 * lands, delete the trainingUnavailable line and the kit checks its steps and memory too.
 */
class GaloreContractTest extends MethodContract {

  @Override
  protected MethodUnderTest method() {
    return MethodUnderTest.method("galore")
        .runWith("full")
        .trainingUnavailable("GaLore's optimizer hook is not implemented in this version yet")
        .breaks("layerwise-without-accumulation", "galore.layerwise = true",
            "training.gradient-accumulation-steps = 2")
        .breaks("layerwise-single-device", "galore.layerwise = true", "training.devices = 2")
        .unsupported("no linear layer of this llama model has \"qkv\"", "galore.target = [qkv]");
  }
}
