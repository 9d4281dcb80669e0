package dev.peft4j.runtime.cli;

import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.run.TrainingSession;
import dev.peft4j.runtime.run.ValidationReport;
import java.util.Optional;
import java.util.concurrent.Callable;
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

  @Option(names = "--resume", description = "Continue from the newest checkpoint in output.dir/checkpoints.")
  boolean resume;

  @Override
  public Integer call() {
    Peft4j peft4j = parent.runtime(Optional.of(run.runFile));
    ValidationReport report = run.validate(peft4j, spec.commandLine().getErr());
    TrainingSession.train(report, peft4j.discovery(), resume, spec.commandLine().getOut(), Peft4jCommand.onTerminal());
    return 0;
  }
}
