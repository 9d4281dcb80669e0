package dev.peft4j.plugins.ia3;

import ai.djl.ndarray.NDArray;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.api.model.LinearView;
import dev.peft4j.api.model.ParameterView;

/**
 * A linear layer with an IA³ vector {@code l}, as PEFT's {@code IA3Layer} computes it: {@code y = base(x) · l}
 * with {@code l} of shape {@code [out, 1]}, or for a feed-forward layer {@code y = base(x · l)} with {@code l}
 * of shape {@code [1, in]}. Once merged, the base weight holds the scaling and {@code y = base(x)}.
 */
final class Ia3Layer implements LinearLayer {

  private final LinearView base;
  private final ParameterView vector;
  private final boolean feedforward;
  private boolean merged;

  Ia3Layer(LinearView base, ParameterView vector, boolean feedforward) {
    this.base = base;
    this.vector = vector;
    this.feedforward = feedforward;
  }

  @Override
  public int inFeatures() {
    return base.inFeatures();
  }

  @Override
  public int outFeatures() {
    return base.outFeatures();
  }

  LinearView base() {
    return base;
  }

  ParameterView vector() {
    return vector;
  }

  boolean feedforward() {
    return feedforward;
  }

  boolean merged() {
    return merged;
  }

  void setMerged(boolean merged) {
    this.merged = merged;
  }

  @Override
  public NDArray forward(NDArray x) {
    if (merged) {
      return base.forward(x);
    }
    NDArray scale = vector.data().flatten();
    return feedforward ? base.forward(x.mul(scale)) : base.forward(x).mul(scale);
  }
}
