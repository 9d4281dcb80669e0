package dev.peft4j.runtime.train;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import ai.djl.ndarray.NDArray;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apiguardian.api.API;

/**
 * One optimizer step as {@link TrainingListener}s see it, with the two things a listener may do: take a {@link
 * #snapshot()} of the run (to write a checkpoint) and {@link #requestStop() stop} the run cleanly after this step.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class StepEvent {

  /**
   * What a checkpoint holds after this step. Its arrays are the run's own (not copies): valid during the callback
   * only, and not to be changed.
   */
  public record Snapshot(TrainerState state, Map<String, NDArray> trainable, Map<String, NDArray> optimizer) {}

  private final long step;
  private final long totalSteps;
  private final boolean finite;
  private final double loss;
  private final double learningRate;
  private final double gradNorm;
  private final double tokensPerSecond;
  private final int skippedSteps;
  private final boolean logged;
  private final Supplier<Snapshot> snapshot;
  private final Runnable stop;
  private final Consumer<Path> written;

  StepEvent(long step, long totalSteps, boolean finite, double loss, double learningRate, double gradNorm,
      double tokensPerSecond, int skippedSteps, boolean logged, Supplier<Snapshot> snapshot, Runnable stop,
      Consumer<Path> written) {
    this.step = step;
    this.totalSteps = totalSteps;
    this.finite = finite;
    this.loss = loss;
    this.learningRate = learningRate;
    this.gradNorm = gradNorm;
    this.tokensPerSecond = tokensPerSecond;
    this.skippedSteps = skippedSteps;
    this.logged = logged;
    this.snapshot = snapshot;
    this.stop = stop;
    this.written = written;
  }

  /** Optimizer steps done, this one included. */
  public long step() {
    return step;
  }

  public long totalSteps() {
    return totalSteps;
  }

  /** Whether this is the run's last step. */
  public boolean last() {
    return step == totalSteps;
  }

  /** False for a step skipped because its loss or gradient was not finite ({@code training.on-nonfinite = skip}). */
  public boolean finite() {
    return finite;
  }

  /** The step's mean loss over its micro-batches; for a skipped step, the last finite step's (NaN before any). */
  public double loss() {
    return loss;
  }

  public double learningRate() {
    return learningRate;
  }

  /** The global L2 norm of the gradients before clipping (NaN for a skipped step). */
  public double gradNorm() {
    return gradNorm;
  }

  /** Real (non-padding) tokens a second since the run started or resumed. */
  public double tokensPerSecond() {
    return tokensPerSecond;
  }

  public int skippedSteps() {
    return skippedSteps;
  }

  /** Whether {@code training.logging-steps} asks for this step to be logged (the last step always is). */
  public boolean logged() {
    return logged;
  }

  /** The run's state after this step, as a checkpoint holds it; see {@link Snapshot}. */
  public Snapshot snapshot() {
    return snapshot.get();
  }

  /**
   * Asks the run to stop after this step, as if it were its last: the run evaluates, its checkpoint is written and
   * {@link Trainer#run} returns with {@link Trainer.Result#stopped()} true. A run resumed from that checkpoint continues
   * where this one stopped.
   */
  public void requestStop() {
    stop.run();
  }

  /** Tells the run that a listener wrote this step's checkpoint in {@code folder}: every listener hears of it. */
  public void checkpointWritten(Path folder) {
    written.accept(folder);
  }
}
