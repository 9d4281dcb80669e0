package dev.peft4j.runtime.cli;

import dev.peft4j.runtime.LoadedModel;
import dev.peft4j.runtime.config.CoreSettings.TemplateName;
import dev.peft4j.runtime.generate.Generator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code peft4j generate}: what a model says to a prompt. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Continue a prompt with a model: greedy, or sampled with a temperature and top-p. The prompt goes "
        + "through the model's chat template, or the --template training used, unless --raw.")
final class GenerateCommand extends ModelCommand {

  @Option(names = "--prompt", required = true, description = "The instruction or text to continue.")
  String prompt;

  @Option(names = "--raw", description = "Use the prompt as it is, without the chat template.")
  boolean raw;

  @Option(names = "--template", defaultValue = "model", paramLabel = "NAME", description = "The chat template: model "
      + "(the model's own, default) or the LLaMA-Factory template training used (data.template): llama3, qwen, "
      + "qwen3_nothink, mistral, gemma, phi, alpaca, default.")
  String template;

  @Option(names = "--max-new-tokens", defaultValue = "64", description = "Default ${DEFAULT-VALUE}.")
  int maxNewTokens;

  @Option(names = "--temperature", defaultValue = "0", description = "0 is greedy (default); higher samples more freely.")
  double temperature;

  @Option(names = "--top-p", defaultValue = "0.9", description = "Nucleus sampling mass (default ${DEFAULT-VALUE}).")
  double topP;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of the sampling (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--stop", paramLabel = "TEXT", description = "End the answer where it first holds TEXT, cut before "
      + "it; repeat for several.")
  java.util.List<String> stop = new java.util.ArrayList<>();

  @Override
  public Integer call() {
    if (maxNewTokens < 1 || temperature < 0 || topP <= 0 || topP > 1 || stop.contains("")) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "need --max-new-tokens >= 1, --temperature >= 0, 0 < --top-p <= 1 and no empty --stop");
    }
    TemplateName chat = template(template, spec);
    try (LoadedModel loaded = load()) {
      Generator.Sampling sampling = new Generator.Sampling(maxNewTokens, temperature, topP, seed, stop);
      spec.commandLine().getOut().println(raw ? loaded.continueText(prompt, sampling) : loaded.generate(prompt, sampling, chat));
      spec.commandLine().getOut().flush();
    }
    return 0;
  }
}
