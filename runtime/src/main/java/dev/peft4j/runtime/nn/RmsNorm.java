package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;

/**
 * Root-mean-square normalisation, as transformers' decoder models compute it: {@code w · x / sqrt(mean(x²) + eps)}, in float32
 * inside whatever the precision, the result in the activations' dtype.
 */
public final class RmsNorm extends Module {

  private final Parameter weight;
  /** The epsilon as a 0-d float32 array, made once (a Java number must not reach an operation autograd records). */
  private final NDArray eps;
  private final Precision precision;

  public RmsNorm(NDArray weight, double eps, Precision precision) {
    this.precision = precision;
    this.weight = register("weight", new Parameter(weight, precision));
    this.eps = Tensors.scalar(weight.getManager(), (float) eps);
  }

  public NDArray forward(NDArray x) {
    return TorchOps.get().rmsNorm(precision.compute(x), precision.compute(weight.data()), eps);
  }
}
