package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.SparseFormat;

/** A lookup table {@code [vocab, hidden]}: token ids to vectors, differentiable in the table. */
public final class Embedding extends Module {

  private final Parameter weight;

  public Embedding(NDArray weight) {
    this.weight = register("weight", new Parameter(weight));
  }

  public Parameter weight() {
    return weight;
  }

  /** {@code ids} INT64 of any shape to {@code [..., hidden]}. */
  public NDArray forward(NDArray ids) {
    return ids.getNDArrayInternal().embedding(ids, weight.data(), SparseFormat.DENSE).singletonOrThrow();
  }
}
