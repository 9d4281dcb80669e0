package dev.peft4j.runtime.cli;

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

  /** The model, with {@code --adapter} attached if given; the caller closes it. */
  ModelOptions.Loaded load(boolean withTokenizer) {
    return model.load(parent.runtime(Optional.empty()).discovery(), withTokenizer);
  }
}
