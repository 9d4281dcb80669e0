package dev.peft4j.runtime.cli;

import dev.peft4j.runtime.LoadedModel;
import dev.peft4j.runtime.config.CoreSettings.DataFormat;
import dev.peft4j.runtime.config.CoreSettings.TemplateName;
import dev.peft4j.runtime.generate.Evaluation;
import dev.peft4j.runtime.train.Progress;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code peft4j evaluate}: held-out exact match of a model's greedy answers. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Answer every prompt of a data file greedily and count the answers equal to the reference "
        + "(exact match, whitespace trimmed).")
final class EvaluateCommand extends ModelCommand {

  @Option(names = "--data", required = true, paramLabel = "FILE", description = "JSON lines (alpaca or sharegpt).")
  Path data;

  @Option(names = "--format", defaultValue = "alpaca", description = "alpaca (default) or sharegpt.")
  String format;

  @Option(names = "--limit", defaultValue = "1000000", description = "Evaluate at most this many examples.")
  int limit;

  @Option(names = "--template", defaultValue = "model", paramLabel = "NAME", description = "The chat template: model "
      + "(the model's own, default) or the LLaMA-Factory template training used (data.template): llama3, qwen, "
      + "qwen3_nothink, mistral, gemma, phi, alpaca, default.")
  String template;

  @Option(names = "--max-new-tokens", defaultValue = "16", description = "Default ${DEFAULT-VALUE}.")
  int maxNewTokens;

  @Option(names = "--batch-size", defaultValue = "" + Evaluation.DEFAULT_BATCH_SIZE, paramLabel = "N",
      description = "Prompts decoded together (default ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--show", defaultValue = "3", description = "Print this many answers (default ${DEFAULT-VALUE}).")
  int show;

  @Override
  public Integer call() {
    DataFormat dataFormat;
    try {
      dataFormat = DataFormat.valueOf(format.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "unknown format '" + format + "': alpaca or sharegpt");
    }
    if (batchSize < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--batch-size must be at least 1, not " + batchSize);
    }
    TemplateName chat = template(template, spec);
    PrintWriter err = spec.commandLine().getErr();
    boolean terminal = Peft4jCommand.onTerminal();
    Evaluation.Progress progress = (done, total) -> {
      if (terminal) {
        err.print("\r" + Progress.bar(done, total) + " answered" + (done == total ? "\n" : ""));
        err.flush();
      }
    };
    try (LoadedModel loaded = load()) {
      Evaluation.Answers answers = loaded.evaluate(data, dataFormat, limit, maxNewTokens, batchSize, progress, chat);
      PrintWriter out = spec.commandLine().getOut();
      for (int i = 0; i < Math.min(show, answers.prompts().size()); i++) {
        out.printf("%s -> %s (expected %s)%n", answers.prompts().get(i), answers.predicted().get(i), answers.references().get(i));
      }
      out.printf(Locale.ROOT, "exact match: %d/%d = %.1f%%%n", answers.score().correct(), answers.score().total(),
          100 * answers.score().accuracy());
      out.flush();
    }
    return 0;
  }
}
