package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;

/** A lookup table {@code [vocab, hidden]}: token ids to vectors in the model's precision, differentiable in the table. */
public final class Embedding extends Module {

  private final Parameter weight;
  private final Precision precision;

  public Embedding(NDArray weight, Precision precision) {
    this.precision = precision;
    this.weight = register("weight", new Parameter(weight, precision));
  }

  public Parameter weight() {
    return weight;
  }

  /** {@code ids} INT64 of any shape to {@code [..., hidden]}; an fp32 master's rows are cast after the lookup. */
  public NDArray forward(NDArray ids) {
    return precision.compute(TorchOps.get().embedding(ids, weight.data()));
  }
}
