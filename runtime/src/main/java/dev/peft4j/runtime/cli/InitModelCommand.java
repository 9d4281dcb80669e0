package dev.peft4j.runtime.cli;

import dev.peft4j.runtime.model.ModelConfig;
import dev.peft4j.runtime.model.ModelInit;
import dev.peft4j.runtime.model.ModelSizes;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code peft4j init-model}: a random model folder with a tokenizer, for demos and tests without downloads. */
@Command(name = "init-model", mixinStandardHelpOptions = true,
    description = "Write a randomly initialised model folder (config.json, model.safetensors, a character "
        + "tokenizer) of a named size or of the sizes in a config.json.")
final class InitModelCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Shape shape;

  static final class Shape {
    @Option(names = "--size", paramLabel = "SIZE", description = "tiny (~0.8 M parameters) or small (~22 M).")
    String size;

    @Option(names = "--config", paramLabel = "CONFIG_JSON", description = "A Hugging Face config.json to take the sizes from.")
    Path config;
  }

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "The folder to create (must not exist).")
  Path out;

  @Option(names = "--seed", defaultValue = "42", description = "Seed of the initialisation (default ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() {
    Optional<ModelSizes> size = Optional.empty();
    if (shape.size != null) {
      try {
        size = Optional.of(ModelSizes.valueOf(shape.size.toUpperCase(java.util.Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "unknown size '" + shape.size + "': choose tiny or small, or give --config");
      }
    }
    ModelConfig config = ModelInit.write(out, size, Optional.ofNullable(shape.config), seed);
    spec.commandLine().getOut().printf("wrote %s: %s, %d layers, hidden %d, vocabulary %d%n", out, config.modelType(),
        config.numLayers(), config.hiddenSize(), config.vocabSize());
    return 0;
  }
}
