package dev.peft4j.runtime.model.gemma2;

import ai.djl.ndarray.NDArray;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.runtime.model.DecoderModel;
import dev.peft4j.runtime.model.WeightSource;
import dev.peft4j.runtime.nn.Module;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.TorchOps;

/** {@code Gemma2MLP}, GeGLU: {@code down(gelu_pytorch_tanh(gate(x)) · up(x))}. */
final class Gemma2Mlp extends Module {

  Gemma2Mlp(Gemma2Config c, String prefix, WeightSource weights, Precision precision) {
    add("gate_proj", DecoderModel.linear(weights, prefix + "gate_proj", c.intermediateSize(), c.hiddenSize(), false, precision));
    add("up_proj", DecoderModel.linear(weights, prefix + "up_proj", c.intermediateSize(), c.hiddenSize(), false, precision));
    add("down_proj", DecoderModel.linear(weights, prefix + "down_proj", c.hiddenSize(), c.intermediateSize(), false, precision));
  }

  NDArray forward(NDArray x) {
    NDArray gate = ((LinearLayer) child("gate_proj")).forward(x);
    NDArray up = ((LinearLayer) child("up_proj")).forward(x);
    return ((LinearLayer) child("down_proj")).forward(TorchOps.get().geluTanhMul(gate, up));
  }
}
