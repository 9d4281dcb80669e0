package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;
import dev.peft4j.api.model.LinearLayer;
import java.util.Map;

/**
 * A linear layer supplied by a method (an adapter wrapping the original), placed in the module tree
 * with the parameters it added registered under their own names.
 */
public final class WrappedLinear extends Module implements LinearLayer {

  private final LinearLayer layer;

  public WrappedLinear(LinearLayer layer, Module original, Map<String, Parameter> added) {
    this.layer = layer;
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
    return layer.forward(input);
  }
}
