package dev.peft4j.runtime.cli;

import dev.peft4j.api.UnsupportedFeatureException;
import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.run.ValidationReport;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code peft4j train run.conf}: validates the run, then trains it. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Validate a run file, then train it. (This version validates only: training comes in the next one.)")
final class TrainCommand implements Callable<Integer> {

  @CommandLine.ParentCommand
  Peft4jCommand parent;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  RunOptions run;

  @Override
  public Integer call() {
    Peft4j peft4j = parent.runtime(Optional.of(run.runFile));
    ValidationReport report = peft4j.validate(run.runFile, run.overrides);
    ValidateCommand.printWarnings(report, spec.commandLine().getErr());
    report.orThrow();
    throw new UnsupportedFeatureException("training is not implemented yet in this version: the run is valid, but "
        + String.join(", ", report.settings().keySet()) + " cannot train yet (see the README, section 'What works'). "
        + "`peft4j validate` checks runs today");
  }
}
