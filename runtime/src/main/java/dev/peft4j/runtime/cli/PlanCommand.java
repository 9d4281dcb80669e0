package dev.peft4j.runtime.cli;

import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.plan.PlanText;
import dev.peft4j.runtime.plan.RunPlan;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code peft4j plan run.conf}: counts and memory from config.json alone, and the rule check; exit code as validate. */
@Command(name = "plan", mixinStandardHelpOptions = true,
    description = "Plan a run from the model's config.json alone (no weights are loaded): trainable and total "
        + "parameters as PEFT prints them, bytes of weights, gradients and optimizer state, an estimate of peak "
        + "memory for the configured batch and sequence length, and the rule check. Exit code 0 when the run "
        + "could start, 1 otherwise.")
final class PlanCommand implements Callable<Integer> {

  @CommandLine.ParentCommand
  Peft4jCommand parent;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  RunOptions run;

  @Override
  public Integer call() {
    Peft4j peft4j = parent.runtime(Optional.of(run.runFile));
    RunPlan plan = peft4j.plan(run.runFile, run.overrides);
    PrintWriter out = spec.commandLine().getOut();
    out.print(PlanText.render(plan));
    out.flush();
    return plan.validation().valid() ? 0 : 1;
  }
}
