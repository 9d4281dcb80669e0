package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;
import dev.peft4j.api.model.LinearLayer;
import java.util.Map;

/**
 * A linear layer supplied by a method (an adapter wrapping the original), placed in the module tree
 * with the parameters it added registered under their own names. Its output is cast to the model's
 * precision: a method's float32 branch added to a bf16 result is float32, and the next layer computes in bf16.
 */
public final class WrappedLinear extends Module implements LinearLayer {

  private final LinearLayer layer;
  private final Precision precision;

  public WrappedLinear(LinearLayer layer, Module original, Map<String, Parameter> added, Precision precision) {
    this.layer = layer;
    this.precision = precision;
    original.ownParameters().forEach(this::register);
    original.children().forEach(this::add);
    added.forEach(this::register);
  }

  public LinearLayer layer() {
    return layer;
  }

  @Override
  public int inFeatures() {
    return layer.inFeatures();
  }

  @Override
  public int outFeatures() {
    return layer.outFeatures();
  }

  @Override
  public NDArray forward(NDArray input) {
    return precision.compute(layer.forward(input));
  }
}
