package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * A tensor the model owns, and whether it trains. The values live on the model's long-lived manager;
 * a frozen parameter never asks autograd for a gradient.
 */
public final class Parameter {

  private NDArray data;
  private boolean trainable;

  public Parameter(NDArray data) {
    this.data = Objects.requireNonNull(data, "data is null");
  }

  public NDArray data() {
    return data;
  }

  /** Replaces the values (same shape); the old array is closed. */
  public void set(NDArray values) {
    if (!values.getShape().equals(data.getShape())) {
      throw new IllegalArgumentException("shape " + values.getShape() + " does not match " + data.getShape());
    }
    boolean wasTrainable = trainable;
    setTrainable(false);
    NDArray old = data;
    data = values;
    if (old != values) {
      old.close();
    }
    setTrainable(wasTrainable);
  }

  public boolean trainable() {
    return trainable;
  }

  public void setTrainable(boolean trainable) {
    if (this.trainable != trainable) {
      data.setRequiresGradient(trainable);
      this.trainable = trainable;
    }
  }

  public long size() {
    return data.getShape().size();
  }
}
