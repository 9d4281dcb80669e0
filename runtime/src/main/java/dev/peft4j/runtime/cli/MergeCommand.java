package dev.peft4j.runtime.cli;

import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code peft4j merge}: a base model with an adapter folded in, as a Hugging Face folder. */
@Command(name = "merge", mixinStandardHelpOptions = true,
    description = "Fold an adapter into its base model and write the merged model as a Hugging Face folder "
        + "(config.json, model.safetensors, tokenizer files) that transformers loads.")
final class MergeCommand extends ModelCommand {

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "The merged model's folder.")
  Path out;

  @Override
  public Integer call() {
    if (model.adapter == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "merge needs --adapter DIR");
    }
    parent.runtime(Optional.empty()).merge(model.model, model.adapter, out);
    spec.commandLine().getOut().println("merged " + model.adapter + " into " + model.model + ": " + out);
    spec.commandLine().getOut().flush();
    return 0;
  }
}
