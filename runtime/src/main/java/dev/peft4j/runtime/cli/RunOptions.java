package dev.peft4j.runtime.cli;

import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.api.rules.Violation;
import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.validate.ValidationReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The run file and its overrides, shared by the commands that take a run. */
final class RunOptions {

  @Parameters(index = "0", paramLabel = "RUN_FILE",
      description = "A HOCON run file (see examples/), or LLaMA-Factory's YAML (.yaml, .yml; see examples/llamafactory/).")
  Path runFile;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override a setting, e.g. --set lora.rank=16 (repeatable; the peft4j. prefix is optional); "
          + "on a YAML file LLaMA-Factory's names work too (--set lora_rank=16). "
          + "-Dpeft4j.KEY=VALUE system properties work too.")
  List<String> overrides = new ArrayList<>();

  /**
   * Validates the run, prints its warnings to {@code err}, and returns the report of a run that can start.
   *
   * @throws dev.peft4j.api.config.ConfigurationException listing every problem, when it cannot
   */
  ValidationReport validate(Peft4j peft4j, PrintWriter err) {
    ValidationReport report = peft4j.validate(runFile, overrides);
    printNotes(report, err);
    for (Violation warning : report.warnings()) {
      err.println("warning: " + warning);
    }
    err.flush();
    return report.orThrow();
  }

  /** What reading the run file changed or left out (a LLaMA-Factory file's keys without effect), one line each. */
  static void printNotes(ValidationReport report, PrintWriter err) {
    for (SettingProblem note : report.run().notes()) {
      err.println("warning: " + note.origin() + ": " + note.path() + ": " + note.message());
    }
    err.flush();
  }
}
