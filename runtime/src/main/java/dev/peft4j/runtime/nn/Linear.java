package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;

/**
 * {@code y = x·Wᵀ + b} with {@code W} of shape {@code [out, in]}, as {@code torch.nn.Linear}, computed in the
 * model's {@link Precision}: the input too is cast to it, since a method's layer in front of this one may hand
 * over another dtype (a float32 vector times a bf16 activation is float32).
 */
public final class Linear extends Module implements FrozenProduct {

  private final Parameter weight;
  private final Parameter bias;
  private final Precision precision;

  public Linear(NDArray weight, NDArray bias, Precision precision) {
    this.precision = precision;
    this.weight = register("weight", new Parameter(weight, precision));
    this.bias = bias == null ? null : register("bias", new Parameter(bias, precision));
  }

  public Parameter weight() {
    return weight;
  }

  /** The bias, or null. */
  public Parameter bias() {
    return bias;
  }

  public Precision precision() {
    return precision;
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
  public boolean frozen() {
    return !weight.trainable() && (bias == null || !bias.trainable());
  }

  @Override
  public NDArray inputGradient(NDArray outputGradient) {
    return precision.compute(outputGradient).matMul(precision.compute(weight.data()));
  }

  @Override
  public NDArray forward(NDArray input) {
    NDArray x = precision.compute(input);
    NDArray w = precision.compute(weight.data());
    return bias == null ? x.matMul(w.transpose()) : TorchOps.get().linear(x, w, precision.compute(bias.data()));
  }
}
