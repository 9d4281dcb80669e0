package dev.peft4j.runtime.model.phi3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.runtime.model.DecoderModel;
import dev.peft4j.runtime.model.PreNormDecoderLayer;
import dev.peft4j.runtime.model.WeightSource;
import dev.peft4j.runtime.nn.Module;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.TorchOps;

/** {@code Phi3MLP}: one fused {@code gate_up_proj} chunked into gate and up, then {@code down(silu(gate) · up)}. */
final class Phi3Mlp extends Module implements PreNormDecoderLayer.FeedForward {

  private final long intermediate;

  Phi3Mlp(Phi3Config c, String prefix, WeightSource weights, Precision precision) {
    this.intermediate = c.intermediateSize();
    add("gate_up_proj", DecoderModel.linear(weights, prefix + "gate_up_proj", 2 * c.intermediateSize(), c.hiddenSize(),
        false, precision));
    add("down_proj", DecoderModel.linear(weights, prefix + "down_proj", c.hiddenSize(), c.intermediateSize(), false,
        precision));
  }

  @Override
  public NDArray beforeLastProduct(NDArray x) {
    NDList gateUp = ((LinearLayer) child("gate_up_proj")).forward(x).split(new long[] {intermediate}, 2);
    return TorchOps.get().siluMul(gateUp.get(0), gateUp.get(1));
  }

  @Override
  public LinearLayer lastProduct() {
    return (LinearLayer) child("down_proj");
  }
}
