package dev.peft4j.api.plan;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.util.Objects;
import java.util.OptionalInt;
import org.apiguardian.api.API;

/**
 * A linear layer as a plan sees it; its weight is the parameter {@code name + ".weight"}, shaped
 * {@code [outFeatures, inFeatures]}, and its bias (if any) {@code name + ".bias"}.
 *
 * @param name the module's full dotted name ({@link dev.peft4j.api.model.ModelInfo#layerModule} in a decoder layer, or {@code lm_head})
 * @param layerIndex the decoder layer it belongs to, if any
 * @param quantized whether the base weight is stored quantized (a 4-bit base; see {@code
 *     LinearView.quantized()}): reading the weight then makes a dequantized copy
 */
@API(status = EXPERIMENTAL, since = "0.2")
public record LinearShape(
    String name, long inFeatures, long outFeatures, boolean hasBias, OptionalInt layerIndex, boolean quantized) {

  public LinearShape {
    Objects.requireNonNull(name, "name is null");
    Objects.requireNonNull(layerIndex, "layerIndex is null");
  }

  public String weightName() {
    return name + ".weight";
  }
}
