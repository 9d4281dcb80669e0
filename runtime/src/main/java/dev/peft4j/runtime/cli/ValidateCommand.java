package dev.peft4j.runtime.cli;

import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import dev.peft4j.api.config.Origins;
import dev.peft4j.runtime.validate.ValidationReport;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code peft4j validate run.conf}: the settings and rule check alone; exit code 0 when the run could start. */
@Command(name = "validate", mixinStandardHelpOptions = true,
    description = "Check a run file: unknown keys, types and values of every setting, the model's config.json, "
        + "and every rule between methods. Loads no weights. Exit code 0 when the run could start, 1 otherwise. "
        + "With --verbose, also every setting the file made (for a LLaMA-Factory YAML, its translation) and where "
        + "each came from.")
final class ValidateCommand implements Callable<Integer> {

  @CommandLine.ParentCommand
  Peft4jCommand parent;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  RunOptions run;

  @Override
  public Integer call() {
    ValidationReport report = run.validate(parent.runtime(Optional.of(run.runFile)), spec.commandLine().getErr());
    PrintWriter out = spec.commandLine().getOut();
    out.println(run.runFile + " is valid: methods " + String.join(", ", report.settings().keySet())
        + report.model().map(m -> "; model " + m.modelType()
            + m.layerCount().stream().mapToObj(n -> ", " + n + " layers").findFirst().orElse("")).orElse(""));
    if (parent.verbose) {
      // What the run file set (for a LLaMA-Factory YAML: its translation), each value with where it came from.
      TreeMap<String, ConfigValue> settings = new TreeMap<>();
      report.run().user().entrySet().forEach(e -> settings.put(e.getKey(), e.getValue()));
      settings.forEach((path, value) -> out.println("  " + path + " = " + value.render(ConfigRenderOptions.concise())
          + "  # " + Origins.describe(value.origin())));
    }
    out.flush();
    return 0;
  }
}
