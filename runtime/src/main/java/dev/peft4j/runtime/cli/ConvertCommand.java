package dev.peft4j.runtime.cli;

import dev.peft4j.api.config.ConfigurationException;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.runtime.config.llamafactory.HoconConversion;
import dev.peft4j.runtime.config.llamafactory.LlamaFactoryRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code peft4j convert run.yaml}: a LLaMA-Factory run file as the equivalent peft4j run file. */
@Command(name = "convert", mixinStandardHelpOptions = true,
    description = "Write the peft4j run file (HOCON) equivalent to a LLaMA-Factory YAML run file, with a comment on "
        + "every key saying where it came from and on every key that was dropped or changed. Loads nothing.")
final class ConvertCommand implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "YAML_FILE", description = "LLaMA-Factory's run file (.yaml or .yml).")
  Path yaml;

  @Parameters(index = "1", arity = "0..1", paramLabel = "CONF_FILE",
      description = "The file to write (default: the YAML's name with .conf, beside it). It must not exist.")
  Path conf;

  @Override
  public Integer call() {
    if (!LlamaFactoryRun.isYaml(yaml)) {
      throw new CommandLine.ParameterException(spec.commandLine(), yaml + " is not a YAML file (.yaml or .yml): "
          + "convert reads LLaMA-Factory's run files");
    }
    Path out = conf != null ? conf : yaml.resolveSibling(yaml.getFileName().toString().replaceFirst("\\.ya?ml$", "")
        + ".conf");
    if (Files.exists(out)) {
      throw new ConfigurationException(List.of(new SettingProblem("(output)", out.toString(),
          "exists already: convert writes a new file; remove it or name another")));
    }
    LlamaFactoryRun.Translation translation = LlamaFactoryRun.translate(yaml, List.of(), Path.of("").toAbsolutePath());
    Path folder = out.toAbsolutePath().getParent();
    try {
      Files.writeString(out, HoconConversion.render(translation, yaml, folder), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigurationException(List.of(new SettingProblem("(output)", out.toString(),
          "cannot be written: " + e.getMessage())));
    }
    PrintWriter stdout = spec.commandLine().getOut();
    stdout.println("wrote " + out + ": " + translation.settings().size() + " settings, " + translation.notes().size()
        + (translation.notes().size() == 1 ? " key" : " keys") + " dropped or changed (see its comments)");
    stdout.flush();
    return 0;
  }
}
