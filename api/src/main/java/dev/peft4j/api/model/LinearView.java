package dev.peft4j.api.model;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.util.Optional;
import java.util.OptionalInt;
import org.apiguardian.api.API;

/** A linear layer of the model as methods see it; {@code weight} is {@code [out, in]}. */
@API(status = EXPERIMENTAL, since = "0.1")
public interface LinearView extends LinearLayer {

  /** The module's full dotted name, as Hugging Face names it: {@link ModelInfo#layerModule} for one in a decoder layer. */
  String name();

  ParameterView weight();

  Optional<ParameterView> bias();

  OptionalInt layerIndex();

  /**
   * Whether the base weight is stored quantized (a 4-bit base). Then {@link #weight()} gives a
   * dequantized copy: reading it is meaningful, writing to it changes nothing.
   */
  default boolean quantized() {
    return false;
  }
}
