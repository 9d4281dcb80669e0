package dev.peft4j.api.plan;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import org.apiguardian.api.API;

/**
 * What a method's optimizer holds for one trainable parameter at the peak of a training step, in
 * values of the training precision (fp32: 4 bytes each). A plan states it for the parameters whose
 * update the method owns or changes; every other trainable parameter costs what the runtime's AdamW
 * costs (a gradient, two moments, and its scratch).
 *
 * @param gradientValues the gradient held at the peak: the parameter's size, or 0 when it holds none then
 *     (BAdam's inactive blocks; layer-wise GaLore's parameters stepped and freed before the peak). A parameter with
 *     neither gradient nor state does not train at the peak: the runtime prices it as frozen
 * @param stateValues optimizer state kept between steps (moments, GaLore's projector)
 * @param scratchValues values the update of this parameter allocates and releases (the runtime frees them before
 *     it updates the next parameter)
 */
@API(status = EXPERIMENTAL, since = "0.2")
public record OptimizerCost(long gradientValues, long stateValues, long scratchValues) {

  /** Nothing: a parameter that holds neither gradient nor state at the peak. */
  public static final OptimizerCost NONE = new OptimizerCost(0, 0, 0);

  public OptimizerCost {
    if (gradientValues < 0 || stateValues < 0 || scratchValues < 0) {
      throw new IllegalArgumentException("optimizer costs cannot be negative: " + gradientValues + ", "
          + stateValues + ", " + scratchValues);
    }
  }
}
