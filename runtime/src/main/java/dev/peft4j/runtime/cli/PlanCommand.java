package dev.peft4j.runtime.cli;

import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.plan.FitSearch;
import dev.peft4j.runtime.plan.PlanText;
import dev.peft4j.runtime.plan.RunPlan;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code peft4j plan run.conf}: counts and memory from config.json alone, and the rule check; exit code as validate. */
@Command(name = "plan", mixinStandardHelpOptions = true,
    description = "Plan a run from the model's config.json alone (no weights are loaded): trainable and total "
        + "parameters as PEFT prints them, bytes of weights, gradients and optimizer state, an estimate of peak "
        + "memory for the configured batch and sequence length, and the rule check. Exit code 0 when the run "
        + "could start, 1 otherwise. With --fit, the settings under which it fits in a memory budget.")
final class PlanCommand implements Callable<Integer> {

  @CommandLine.ParentCommand
  Peft4jCommand parent;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  RunOptions run;

  @Option(names = "--fit", paramLabel = "SIZE",
      description = "A memory budget (24GiB, 8GB, 512MiB): plan the run again under every combination of "
          + "training.precision, training.gradient-checkpointing, a 4-bit base (for an adapter that supports one), "
          + "its double quantization and a smaller batch-size with more gradient-accumulation-steps (the same "
          + "effective batch), and print the fastest that fits (the smallest of the fastest), by a rough model of step "
          + "time: checkpointing ×4/3, a 4-bit base ×1.39, double quantization ×1, bf16 ×0.5 where the device computes "
          + "it natively (×2 where not), ×1.05 for each halving of the micro-batch. Exit code 0 when one fits, 1 "
          + "otherwise.")
  String fit;

  @Override
  public Integer call() {
    Peft4j peft4j = parent.runtime(Optional.of(run.runFile));
    RunPlan plan = peft4j.plan(run.runFile, run.overrides);
    RunOptions.printNotes(plan.validation(), spec.commandLine().getErr());
    PrintWriter out = spec.commandLine().getOut();
    if (fit == null) {
      out.print(PlanText.render(plan));
      out.flush();
      return plan.validation().valid() ? 0 : 1;
    }
    long budget;
    try {
      budget = FitSearch.parseSize(fit);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--fit: " + e.getMessage());
    }
    FitSearch.Result result = FitSearch.search(plan, budget, peft4j.discovery(), extra -> {
      List<String> overrides = new ArrayList<>(run.overrides);
      overrides.addAll(extra);
      return peft4j.plan(run.runFile, overrides);
    });
    out.print(FitSearch.render(result));
    out.flush();
    return result.best().isPresent() ? 0 : 1;
  }
}
