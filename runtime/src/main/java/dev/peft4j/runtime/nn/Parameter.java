package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * A tensor the model owns, and whether it trains. The values live on the model's long-lived manager;
 * a frozen parameter never asks autograd for a gradient.
 *
 * <p>A weight of the base model is stored in the run's {@link Precision} while frozen (bf16 halves its memory)
 * and becomes an fp32 master copy while it trains, as PEFT and BAdam's reference keep them: {@link
 * #setTrainable} converts it both ways. A parameter a method adds keeps the dtype the method gave it.
 */
public final class Parameter {

  private NDArray data;
  private boolean trainable;
  /** How a frozen base weight is stored; null for a parameter a method added. */
  private final Precision storage;

  /** A parameter a method added: its dtype is the method's. */
  public Parameter(NDArray data) {
    this(data, null);
  }

  /** A base weight, stored in {@code storage} while frozen (the values are converted now if need be). */
  public Parameter(NDArray data, Precision storage) {
    Objects.requireNonNull(data, "data is null");
    this.storage = storage;
    this.data = storage == null ? data : storage.store(data);
  }

  public NDArray data() {
    return data;
  }

  /** Replaces the values (same shape); the old array is closed. Trainable values stay as they are given. */
  public void set(NDArray values) {
    if (!values.getShape().equals(data.getShape())) {
      throw new IllegalArgumentException("shape " + values.getShape() + " does not match " + data.getShape());
    }
    NDArray old = data;
    if (trainable) {
      old.setRequiresGradient(false);
    }
    data = trainable || storage == null ? values : storage.store(values);
    if (old != data) {
      old.close();
    }
    if (trainable) {
      data.setRequiresGradient(true);
    }
  }

  public boolean trainable() {
    return trainable;
  }

  public void setTrainable(boolean trainable) {
    if (this.trainable == trainable) {
      return;
    }
    if (trainable) {
      if (storage != null) {
        data = Precision.master(data);
      }
      data.setRequiresGradient(true);
    } else {
      data.setRequiresGradient(false);
      if (storage != null) {
        data = storage.store(data);
      }
    }
    this.trainable = trainable;
  }

  public long size() {
    return data.getShape().size();
  }
}
