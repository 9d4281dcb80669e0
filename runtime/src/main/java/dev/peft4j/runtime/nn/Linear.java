package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;
import dev.peft4j.api.model.LinearLayer;

/** {@code y = x·Wᵀ + b} with {@code W} of shape {@code [out, in]}, as {@code torch.nn.Linear}. */
public final class Linear extends Module implements LinearLayer {

  private final Parameter weight;
  private final Parameter bias;

  public Linear(NDArray weight, NDArray bias) {
    this.weight = register("weight", new Parameter(weight));
    this.bias = bias == null ? null : register("bias", new Parameter(bias));
  }

  public Parameter weight() {
    return weight;
  }

  /** The bias, or null. */
  public Parameter bias() {
    return bias;
  }

  @Override
  public int inFeatures() {
    return (int) weight.data().getShape().get(1);
  }

  @Override
  public int outFeatures() {
    return (int) weight.data().getShape().get(0);
  }

  @Override
  public NDArray forward(NDArray input) {
    NDArray out = input.matMul(weight.data().transpose());
    return bias == null ? out : out.add(bias.data());
  }
}
