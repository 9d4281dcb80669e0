package dev.peft4j.runtime.cli;

import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.TrainingRun;
import dev.peft4j.runtime.validate.ValidationReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code peft4j train run.conf}: validates the run, then trains it. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Validate a run file, then train it: checkpoints, metrics.jsonl, loss.png and the trained model go "
        + "to output.dir.")
final class TrainCommand implements Callable<Integer> {

  @CommandLine.ParentCommand
  Peft4jCommand parent;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  RunOptions run;

  @Option(names = "--resume", description = "Continue the run in output.dir from its newest good checkpoint (a damaged "
      + "one is passed over); refused when the checkpoint was written with other settings or data.")
  boolean resume;

  @Option(names = "--overwrite", description = "Start a new run in an output.dir that holds another run's checkpoints "
      + "or model, deleting them first (without it, such a run is refused).")
  boolean overwrite;

  @Option(names = "--accept-change", paramLabel = "KEY", split = ",", description = "With --resume: resume although "
      + "this setting changed since the checkpoint (repeatable): training.max-steps or training.epochs (a longer "
      + "schedule), model.path or data.train (a moved file; the data's contents must be the same).")
  List<String> acceptedChanges = new ArrayList<>();

  @Override
  public Integer call() {
    Peft4j peft4j = parent.runtime(Optional.of(run.runFile));
    ValidationReport report = run.validate(peft4j, spec.commandLine().getErr());
    TrainingRun training = peft4j.training(report).console(spec.commandLine().getOut(), Peft4jCommand.onTerminal());
    if (resume || report.run().resume()) {
      training.resume();
    }
    if (overwrite || report.run().overwrite()) {
      training.overwrite();
    }
    acceptedChanges.forEach(training::acceptChange);
    // Ctrl-C (or a plain kill) stops after the step in progress, as requestStop does: the run evaluates and writes its
    // checkpoint and model before the JVM exits. Exiting in the middle of a libtorch operation can crash the JVM.
    CountDownLatch ended = new CountDownLatch(1);
    Thread stop = new Thread(() -> {
      spec.commandLine().getErr().println("interrupted: stopping after the current step (kill -9 to stop at once; "
          + "--resume continues from the newest checkpoint)");
      training.requestStop();
      awaitQuietly(ended);
    }, "peft4j-stop");
    Runtime.getRuntime().addShutdownHook(stop);
    try {
      training.run();
    } finally {
      ended.countDown();
      removeQuietly(stop);
    }
    return 0;
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void removeQuietly(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook is running, and the latch lets it finish
    }
  }
}
