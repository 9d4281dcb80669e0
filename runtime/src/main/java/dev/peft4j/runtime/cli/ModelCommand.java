package dev.peft4j.runtime.cli;

import dev.peft4j.runtime.LoadedModel;
import dev.peft4j.runtime.config.CoreSettings.TemplateName;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;

/** What the commands that work on a model folder (generate, evaluate, merge) share. */
abstract class ModelCommand implements Callable<Integer> {

  @CommandLine.ParentCommand
  Peft4jCommand parent;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  ModelOptions model;

  /**
   * {@code --template}: {@code model} (the model's own chat template) or one of LLaMA-Factory's names, as
   * {@code data.template} names them for training.
   */
  static TemplateName template(String name, CommandLine.Model.CommandSpec spec) {
    try {
      return TemplateName.valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "unknown --template '" + name + "': use the one "
          + "training used (data.template, LLaMA-Factory's template), one of " + Arrays.stream(TemplateName.values())
          .map(t -> t.name().toLowerCase(Locale.ROOT)).toList());
    }
  }

  /** The model, computed in fp32, with {@code --adapter} attached if given; the caller closes it. */
  LoadedModel load() {
    return parent.runtime(Optional.empty()).loadModel(model.model, Optional.ofNullable(model.adapter));
  }
}
