package dev.peft4j.runtime.train;

import java.util.List;
import java.util.Map;

/**
 * Where a run stands after an optimizer step: enough, with the trainable weights and the optimizer's
 * tensors, to continue exactly. The data position and the random numbers follow from {@code step}
 * (batches are addressed by number; each step seeds the engine with {@code seed + step}).
 *
 * @param step optimizer steps done
 * @param totalSteps the run's length, for the learning-rate schedule
 * @param seed the run's seed
 * @param skippedSteps steps dropped for a non-finite loss or gradient
 * @param optimizerSteps each parameter's AdamW step count
 * @param dataFingerprint {@link TrainingData#fingerprint()} of the training data, 0 if unknown
 * @param hooks the optimizer hooks (by method id) whose state the checkpoint holds, each under
 *     {@code hook.<id>.} in the optimizer tensors
 */
public record TrainerState(long step, long totalSteps, long seed, int skippedSteps, Map<String, Long> optimizerSteps,
    long dataFingerprint, List<String> hooks) {
  public TrainerState {
    optimizerSteps = Map.copyOf(optimizerSteps);
    hooks = List.copyOf(hooks);
  }

  /** A state without optimizer hooks. */
  public TrainerState(long step, long totalSteps, long seed, int skippedSteps, Map<String, Long> optimizerSteps,
      long dataFingerprint) {
    this(step, totalSteps, seed, skippedSteps, optimizerSteps, dataFingerprint, List.of());
  }
}
