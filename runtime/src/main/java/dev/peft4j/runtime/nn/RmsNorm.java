package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;

/** Root-mean-square normalisation, as Llama's {@code LlamaRMSNorm}: {@code w · x / sqrt(mean(x²) + eps)}. */
public final class RmsNorm extends Module {

  private final Parameter weight;
  private final float eps;

  public RmsNorm(NDArray weight, double eps) {
    this.weight = register("weight", new Parameter(weight));
    this.eps = (float) eps;
  }

  public NDArray forward(NDArray x) {
    NDArray variance = x.square().mean(new int[] {-1}, true);
    return x.div(variance.add(Tensors.scalar(x.getManager(), eps)).sqrt()).mul(weight.data());
  }
}
