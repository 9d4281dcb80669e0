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
  /** Gemma's: the weight is an offset from 1, applied in float32. */
  private final boolean unitOffset;

  public RmsNorm(NDArray weight, double eps, Precision precision) {
    this(weight, eps, precision, false);
  }

  private RmsNorm(NDArray weight, double eps, Precision precision, boolean unitOffset) {
    this.precision = precision;
    this.unitOffset = unitOffset;
    this.weight = register("weight", new Parameter(weight, precision));
    this.eps = Tensors.scalar(weight.getManager(), (float) eps);
  }

  /** Gemma's RMSNorm ({@code Gemma2RMSNorm}): {@code x / rms(x) · (1 + w)}, all in float32. */
  public static RmsNorm gemma(NDArray weight, double eps, Precision precision) {
    return new RmsNorm(weight, eps, precision, true);
  }

  public NDArray forward(NDArray x) {
    NDArray input = precision.compute(x);
    NDArray w = precision.compute(weight.data());
    return unitOffset ? TorchOps.get().gemmaRmsNorm(input, w, eps) : TorchOps.get().rmsNorm(input, w, eps);
  }
}
