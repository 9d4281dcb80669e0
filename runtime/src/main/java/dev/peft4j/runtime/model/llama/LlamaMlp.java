package dev.peft4j.runtime.model.llama;

import ai.djl.ndarray.NDArray;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.runtime.model.DecoderModel;
import dev.peft4j.runtime.model.PreNormDecoderLayer;
import dev.peft4j.runtime.model.WeightSource;
import dev.peft4j.runtime.nn.Module;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.TorchOps;

/** SwiGLU feed-forward: {@code down(silu(gate(x)) · up(x))}. */
final class LlamaMlp extends Module implements PreNormDecoderLayer.FeedForward {

  LlamaMlp(LlamaConfig c, String prefix, WeightSource weights, Precision precision) {
    add("gate_proj", DecoderModel.linear(weights, prefix + "gate_proj", c.intermediateSize(), c.hiddenSize(), c.mlpBias(), precision));
    add("up_proj", DecoderModel.linear(weights, prefix + "up_proj", c.intermediateSize(), c.hiddenSize(), c.mlpBias(), precision));
    add("down_proj", DecoderModel.linear(weights, prefix + "down_proj", c.hiddenSize(), c.intermediateSize(), c.mlpBias(), precision));
  }

  @Override
  public NDArray beforeLastProduct(NDArray x) {
    NDArray gate = ((LinearLayer) child("gate_proj")).forward(x);
    NDArray up = ((LinearLayer) child("up_proj")).forward(x);
    return TorchOps.get().siluMul(gate, up);
  }

  @Override
  public LinearLayer lastProduct() {
    return (LinearLayer) child("down_proj");
  }
}
