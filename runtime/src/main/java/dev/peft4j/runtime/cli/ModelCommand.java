package dev.peft4j.runtime.cli;

import dev.peft4j.runtime.LoadedModel;
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

  /** The model, computed in fp32, with {@code --adapter} attached if given; the caller closes it. */
  LoadedModel load() {
    return parent.runtime(Optional.empty()).loadModel(model.model, Optional.ofNullable(model.adapter));
  }
}
