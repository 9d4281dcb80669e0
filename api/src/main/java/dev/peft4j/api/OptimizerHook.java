package dev.peft4j.api;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import ai.djl.ndarray.NDArray;
import dev.peft4j.api.model.ModelView;
import dev.peft4j.api.model.ParameterView;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * Takes part in every optimizer step. It may choose which parameters are active (BAdam), own the
 * update and the optimizer state of some parameters (GaLore), or scale per-parameter learning rates
 * (LoRA+). Parameters no hook owns are stepped by the runtime's AdamW.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface OptimizerHook extends PeftMethod {

  /** Called before each optimizer step, before gradients are read. */
  default void beforeStep(StepInfo step, ModelView model) {}

  /** Whether this hook performs the update of {@code parameter} itself. */
  default boolean ownsUpdate(ParameterView parameter) {
    return false;
  }

  /** Updates a parameter this hook owns, in place, from its (clipped) gradient. */
  default void update(ParameterView parameter, NDArray gradient, StepInfo step) {
    throw new UnsupportedFeatureException("this optimizer hook owns no parameter");
  }

  /** A factor on the learning rate of a parameter the runtime updates (LoRA+). */
  default double learningRateScale(ParameterView parameter) {
    return 1.0;
  }

  /** Optimizer state to checkpoint, by name. */
  default Map<String, NDArray> optimizerState() {
    return Map.of();
  }

  /** Restores what {@link #optimizerState()} returned. */
  default void loadOptimizerState(Map<String, NDArray> state) {}

  /**
   * Where the run stands at an optimizer step.
   *
   * @param step optimizer steps taken before this one (0 for the first)
   * @param learningRate the scheduled learning rate of this step
   */
  record StepInfo(long step, double learningRate) {}
}
