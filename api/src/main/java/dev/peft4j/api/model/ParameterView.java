package dev.peft4j.api.model;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import ai.djl.ndarray.NDArray;
import java.util.OptionalInt;
import org.apiguardian.api.API;

/**
 * A parameter of the model under its dotted Hugging Face name: its module's name ({@link ModelInfo#layerModule} in a
 * decoder layer) and the parameter's ({@code .weight}, {@code .bias}).
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface ParameterView {

  String name();

  /** The live values; a linear layer's weight is {@code [out, in]} as in PyTorch. */
  NDArray data();

  boolean trainable();

  void setTrainable(boolean trainable);

  /** The decoder layer the parameter belongs to, if any. */
  OptionalInt layerIndex();
}
