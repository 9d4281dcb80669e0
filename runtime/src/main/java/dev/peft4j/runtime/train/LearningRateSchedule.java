package dev.peft4j.runtime.train;

import dev.peft4j.runtime.config.CoreSettings.Scheduler;

/**
 * Linear warmup, then cosine, linear or constant decay to zero at the last step — as transformers'
 * {@code get_cosine_schedule_with_warmup} and {@code get_linear_schedule_with_warmup}.
 */
public record LearningRateSchedule(double peak, int warmupSteps, long totalSteps, Scheduler kind) {

  /** The learning rate of optimizer step {@code step} (0-based). */
  public double at(long step) {
    if (step < warmupSteps) {
      return peak * step / Math.max(1, warmupSteps);
    }
    if (kind == Scheduler.CONSTANT) {
      return peak;
    }
    double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    return switch (kind) {
      case COSINE -> peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
      case LINEAR -> peak * Math.max(0, 1 - progress);
      case CONSTANT -> peak;
    };
  }
}
