package dev.peft4j.runtime;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.peft4j.runtime.plugin.Discovery;
import dev.peft4j.runtime.run.RunFolder;
import dev.peft4j.runtime.run.TrainingSession;
import dev.peft4j.runtime.train.StepEvent;
import dev.peft4j.runtime.train.TrainingListener;
import dev.peft4j.runtime.validate.ValidationReport;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apiguardian.api.API;

/**
 * A run to train, as {@code peft4j train} trains it, made by {@link Peft4j#training}: set how it starts and who
 * listens, then {@link #run()}. It writes what the command writes to {@code output.dir}: checkpoints, {@code
 * metrics.jsonl}, {@code loss.png} and the trained model or adapter.
 *
 * <pre>{@code
 * TrainingRun.Outcome outcome = peft4j.training(peft4j.validate(Path.of("run.conf"), List.of()))
 *     .listener(new TrainingListener() {
 *       public void onStep(StepEvent step) { System.out.println(step.step() + " " + step.loss()); }
 *     })
 *     .run();
 * }</pre>
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class TrainingRun {

  /** What a run left behind; see {@link TrainingSession.Outcome}. */
  public static final class Outcome {
    private final TrainingSession.Outcome outcome;

    Outcome(TrainingSession.Outcome outcome) {
      this.outcome = outcome;
    }

    /** Optimizer steps done (of the whole run, when resumed). */
    public long steps() {
      return outcome.result().steps();
    }

    /** Whether the run ended early, on {@link TrainingRun#requestStop()} or a listener's {@link StepEvent#requestStop()}. */
    public boolean stopped() {
      return outcome.result().stopped();
    }

    /** The mean loss of the last finite step. */
    public double lastLoss() {
      return outcome.result().lastLoss();
    }

    /** The eval loss before training, when the run has eval data. */
    public java.util.OptionalDouble evalLossBefore() {
      return outcome.result().evalLossBefore();
    }

    /** The eval loss after training, when the run has eval data. */
    public java.util.OptionalDouble evalLossAfter() {
      return outcome.result().evalLossAfter();
    }

    /** The trained adapter's folder ({@code output.dir/adapter}), or the trained model's ({@code output.dir/model}). */
    public java.nio.file.Path model() {
      return outcome.model();
    }

    /** The newest checkpoint: a run continued from it ({@link TrainingRun#resume()}) goes on from there. */
    public java.nio.file.Path lastCheckpoint() {
      return outcome.result().lastCheckpoint();
    }

    public java.nio.file.Path metrics() {
      return outcome.metrics();
    }

    public java.nio.file.Path lossPlot() {
      return outcome.plot();
    }
  }

  private final ValidationReport report;
  private final Discovery discovery;
  private final List<TrainingListener> listeners = new ArrayList<>();
  private final Set<String> acceptedChanges = new LinkedHashSet<>();
  private boolean resume;
  private boolean overwrite;
  private PrintWriter out = new PrintWriter(OutputStream.nullOutputStream());
  private boolean terminal;
  private volatile boolean stopRequested;

  TrainingRun(ValidationReport report, Discovery discovery) {
    this.report = report.orThrow();
    this.discovery = discovery;
  }

  /** Adds a listener of steps, evaluations and checkpoints; listeners are called in the order they are added. */
  public TrainingRun listener(TrainingListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener is null"));
    return this;
  }

  /**
   * Continues the run in output.dir from its newest good checkpoint (as {@code --resume}): refused when that
   * checkpoint was written with other settings or data, but those {@link #acceptChange accepted}.
   */
  public TrainingRun resume() {
    this.resume = true;
    return this;
  }

  /** Starts a new run in an output.dir that holds another run's checkpoints or model, deleting them first. */
  public TrainingRun overwrite() {
    this.overwrite = true;
    return this;
  }

  /**
   * With {@link #resume()}: continues although this setting changed since the checkpoint ({@code
   * training.max-steps} or {@code training.epochs}, {@code model.path} or {@code data.train}).
   */
  public TrainingRun acceptChange(String key) {
    acceptedChanges.add(Objects.requireNonNull(key, "key is null"));
    return this;
  }

  /** Where the run's console lines go (none by default); {@code terminal} redraws a progress bar in place. */
  public TrainingRun console(PrintWriter out, boolean terminal) {
    this.out = Objects.requireNonNull(out, "out is null");
    this.terminal = terminal;
    return this;
  }

  /**
   * Asks the run to stop cleanly after the step in progress, from any thread: it evaluates, writes its checkpoint
   * and its model or adapter, and {@link #run()} returns with {@link Outcome#stopped()} true.
   */
  public void requestStop() {
    stopRequested = true;
  }

  /**
   * Trains, on the calling thread, until the run ends or stops.
   *
   * @throws dev.peft4j.runtime.train.TrainingException when output.dir is in use or holds another run, the
   *     checkpoint to resume from is of other settings, or training fails (then no model is written)
   */
  public Outcome run() {
    List<TrainingListener> all = new ArrayList<>(listeners);
    all.add(new TrainingListener() {
      @Override
      public void onStep(StepEvent event) {
        if (stopRequested) {
          event.requestStop();
        }
      }
    });
    RunFolder.Start start = new RunFolder.Start(resume, overwrite, Set.copyOf(acceptedChanges));
    return new Outcome(TrainingSession.train(report, discovery, start, out, terminal, all));
  }
}
