package dev.peft4j.api.plan;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import org.apiguardian.api.API;

/**
 * A parameter as a plan sees it: its dotted Hugging Face name, its shape (a linear layer's weight is
 * {@code [out, in]}, as in PyTorch), the decoder layer it belongs to, and whether it trains.
 */
@API(status = EXPERIMENTAL, since = "0.2")
public record ParameterShape(String name, List<Long> shape, OptionalInt layerIndex, boolean trainable) {

  public ParameterShape {
    Objects.requireNonNull(name, "name is null");
    shape = List.copyOf(Objects.requireNonNull(shape, "shape is null"));
    Objects.requireNonNull(layerIndex, "layerIndex is null");
    for (long dimension : shape) {
      if (dimension < 0) {
        throw new IllegalArgumentException("parameter " + name + " has a negative dimension: " + shape);
      }
    }
  }

  /** A parameter that trains, as an adapter adds it ({@code ModelView.addParameters} starts them trainable). */
  public static ParameterShape trainable(String name, OptionalInt layerIndex, long... shape) {
    return new ParameterShape(name, dimensions(shape), layerIndex, true);
  }

  /** A parameter that does not train (a frozen buffer an adapter adds, or a base weight). */
  public static ParameterShape frozen(String name, OptionalInt layerIndex, long... shape) {
    return new ParameterShape(name, dimensions(shape), layerIndex, false);
  }

  /** The number of values. */
  public long size() {
    long size = 1;
    for (long dimension : shape) {
      size = Math.multiplyExact(size, dimension);
    }
    return size;
  }

  /**
   * Whether it sits below the first decoder layer: a parameter outside the layers whose name holds {@code
   * embed_tokens} (the token embeddings in every family peft4j reads, or a parameter an adapter adds to them). Every
   * other parameter outside the layers (the final norm, the head) sits above the last.
   */
  public boolean belowLayers() {
    return layerIndex.isEmpty() && name.contains("embed_tokens");
  }

  public ParameterShape withTrainable(boolean trains) {
    return trains == trainable ? this : new ParameterShape(name, shape, layerIndex, trains);
  }

  private static List<Long> dimensions(long... shape) {
    return java.util.Arrays.stream(shape).boxed().toList();
  }
}
