package dev.peft4j.runtime.train;

import java.util.Locale;
import java.util.Optional;

/**
 * Notices a run that stopped learning without failing: once gradients have been non-zero, a gradient norm of
 * exactly 0 for {@link #ZERO_STEPS} steps in a row means every trainable weight sits where the loss is flat (a
 * learning rate so high that the weights saturated, all logits equal), which no finite-number check can see.
 * It warns once a run; the run goes on, since a user may want the model anyway.
 */
final class GradientWatch {

  /** Zero-norm steps in a row that make the warning. */
  static final int ZERO_STEPS = 5;

  private boolean moved;
  private int zeroInARow;
  private boolean warned;

  /**
   * @param step the optimizer step just done (from 1)
   * @param norm its global gradient norm (NaN for a skipped step, which neither counts nor breaks a streak)
   * @return the warning, the one time it is due
   */
  Optional<String> observe(long step, double norm) {
    if (Double.isNaN(norm) || warned) {
      return Optional.empty();
    }
    if (norm != 0) {
      moved = true;
      zeroInARow = 0;
      return Optional.empty();
    }
    if (!moved || ++zeroInARow < ZERO_STEPS) {
      return Optional.empty();
    }
    warned = true;
    return Optional.of(String.format(Locale.ROOT, "warning: step %d: the gradients have been exactly zero for %d steps "
        + "after training moved: the model no longer learns (typically a learning rate so high that the weights "
        + "saturated). Lower training.learning-rate and train again", step, ZERO_STEPS));
  }
}
