package dev.peft4j.runtime.train;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import org.apiguardian.api.API;

/**
 * What follows a run as it trains: the progress bar, {@code metrics.jsonl} and the checkpoints are listeners, and a
 * program's own is one more (DJL's {@code TrainingListener} is the model). The trainer calls every listener on its
 * own thread, in the order they were added, between steps; what a listener throws ends the run and comes out of
 * {@link Trainer#run}. Every method does nothing unless a listener overrides it.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface TrainingListener {

  /** Before the first step; {@code step} is where a resumed run continues from (0 for a new run). */
  default void onBegin(long step, long totalSteps) {}

  /** After each optimizer step, a skipped one too ({@link StepEvent#finite()} is false then). */
  default void onStep(StepEvent event) {}

  /** After each evaluation on the eval data: before training, every {@code training.eval-steps}, at the end. */
  default void onEvaluation(Evaluation evaluation) {}

  /** After a listener wrote a checkpoint ({@link StepEvent#checkpointWritten}). */
  default void onCheckpoint(Checkpoint checkpoint) {}

  /** A message for the user: resuming, a skipped step, a warning. */
  default void onNotice(String text) {}

  /**
   * Once the last step is done, or a listener asked the run to stop ({@link StepEvent#requestStop()}); {@code last} is
   * the event of the last step done (of the step resumed from, when no step was left), its snapshot still valid.
   */
  default void onEnd(StepEvent last) {}

  /** The mean loss over every counted token of the eval data, after {@code step} optimizer steps. */
  record Evaluation(long step, double loss) {
    public double perplexity() {
      return Math.exp(loss);
    }
  }

  /** A checkpoint of the run after {@code step} optimizer steps, in {@code folder}. */
  record Checkpoint(long step, java.nio.file.Path folder) {}
}
