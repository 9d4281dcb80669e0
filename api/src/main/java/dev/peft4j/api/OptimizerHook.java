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

  /**
   * Updates a parameter this hook owns, in place, from its (clipped) gradient. The runtime calls it inside an
   * {@code NDScope} of its own, closed when it returns: unregister what must outlive the call (moments).
   */
  default void update(ParameterView parameter, NDArray gradient, StepInfo step) {
    throw new UnsupportedFeatureException("this optimizer hook owns no parameter");
  }

  /** A factor on the learning rate of a parameter the runtime updates (LoRA+). */
  default double learningRateScale(ParameterView parameter) {
    return 1.0;
  }

  /**
   * Whether the runtime drops, before this step, the optimizer state (moments and step counts, so that
   * bias correction starts again) of every parameter it updates itself. Called after {@link
   * #beforeStep}. BAdam answers true at each block switch, as its reference resets the whole base
   * optimizer then, even when the next block is the same one. Whatever the answer, the runtime drops
   * the state and frees the gradient of a parameter that stops training.
   */
  @API(status = EXPERIMENTAL, since = "0.1")
  default boolean resetsOptimizerState(StepInfo step) {
    return false;
  }

  /**
   * Optimizer state to checkpoint, by name: float arrays (counts as floats, exact up to 2^24). The
   * runtime writes them under a prefix of the method's own and does not close them.
   */
  default Map<String, NDArray> optimizerState() {
    return Map.of();
  }

  /**
   * Restores what {@link #optimizerState()} returned, before the first step of a resumed run. The
   * arrays are the runtime's and are closed after the call: copy what you keep.
   */
  default void loadOptimizerState(Map<String, NDArray> state) {}

  /**
   * Whether the runtime should step parameters during the backward pass (layer-wise): it runs the
   * backward pass stage by stage (the output head, each decoder layer from the last, the embeddings),
   * steps every trainable parameter of a stage as soon as that stage's gradients are complete, and
   * frees those gradients before the next stage, so that the gradients of the whole model never exist
   * at once. Such a run cannot accumulate gradients and cannot clip them by their global norm.
   */
  @API(status = EXPERIMENTAL, since = "0.1")
  default boolean stepsDuringBackward() {
    return false;
  }

  /**
   * Where the run stands at an optimizer step, and the AdamW settings of the run
   * ({@code training.adam-beta1}, {@code adam-beta2}, {@code adam-epsilon}, {@code weight-decay}) for a
   * hook that updates parameters itself.
   *
   * @param step optimizer steps taken before this one (0 for the first)
   * @param learningRate the scheduled learning rate of this step
   * @param beta1 {@code training.adam-beta1}
   * @param beta2 {@code training.adam-beta2}
   * @param epsilon {@code training.adam-epsilon}
   * @param weightDecay {@code training.weight-decay}; the runtime applies it to parameters of two or more
   *     dimensions only (not to norms and biases), and a hook that owns updates should do the same
   */
  record StepInfo(long step, double learningRate, double beta1, double beta2, double epsilon, double weightDecay) {

    /** A step with {@code torch.optim.AdamW}'s defaults (betas 0.9 and 0.999, epsilon 1e-8) and no weight decay. */
    public StepInfo(long step, double learningRate) {
      this(step, learningRate, 0.9, 0.999, 1e-8, 0.0);
    }
  }
}
