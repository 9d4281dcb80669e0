package dev.peft4j.runtime.train;

/**
 * Writes a run's checkpoints: every {@code training.save-steps} steps (none when 0) and after the last step, so
 * that a finished or stopped run can always be continued.
 */
public final class CheckpointWriter implements TrainingListener {

  private final Checkpoints checkpoints;
  private final int every;
  private long written = -1;

  public CheckpointWriter(Checkpoints checkpoints, int saveSteps) {
    this.checkpoints = checkpoints;
    this.every = saveSteps;
  }

  @Override
  public void onBegin(long step, long totalSteps) {
    // A resumed run's checkpoint at its start is the one it resumed from.
    written = step > 0 ? step : -1;
  }

  @Override
  public void onStep(StepEvent event) {
    if (every > 0 && event.step() % every == 0) {
      write(event);
    }
  }

  @Override
  public void onEnd(StepEvent last) {
    if (written != last.step()) {
      write(last);
    }
  }

  private void write(StepEvent event) {
    StepEvent.Snapshot snapshot = event.snapshot();
    java.nio.file.Path folder = checkpoints.save(snapshot.state(), snapshot.trainable(), snapshot.optimizer());
    written = event.step();
    if (folder != null) {
      event.checkpointWritten(folder);
    }
  }
}
