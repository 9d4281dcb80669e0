package dev.peft4j.runtime.model.llama;

import ai.djl.ndarray.NDArray;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.runtime.nn.Module;

/** SwiGLU feed-forward: {@code down(silu(gate(x)) · up(x))}. */
final class LlamaMlp extends Module {

  LlamaMlp(LlamaConfig c, String prefix, WeightSource weights) {
    add("gate_proj", LlamaForCausalLM.linear(weights, prefix + "gate_proj", c.intermediateSize(), c.hiddenSize(), c.mlpBias()));
    add("up_proj", LlamaForCausalLM.linear(weights, prefix + "up_proj", c.intermediateSize(), c.hiddenSize(), c.mlpBias()));
    add("down_proj", LlamaForCausalLM.linear(weights, prefix + "down_proj", c.hiddenSize(), c.intermediateSize(), c.mlpBias()));
  }

  NDArray forward(NDArray x) {
    NDArray gate = ((LinearLayer) child("gate_proj")).forward(x);
    NDArray up = ((LinearLayer) child("up_proj")).forward(x);
    return ((LinearLayer) child("down_proj")).forward(gate.mul(ai.djl.nn.Activation.sigmoid(gate)).mul(up));
  }
}
