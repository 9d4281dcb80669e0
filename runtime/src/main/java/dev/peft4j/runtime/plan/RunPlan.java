package dev.peft4j.runtime.plan;

import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.runtime.model.ModelConfig;
import dev.peft4j.runtime.setup.MethodSetup;
import dev.peft4j.runtime.validate.ValidationReport;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What {@code peft4j plan} found about a run, from {@code config.json} alone: the rule check, each
 * method's plan, PEFT's trainable-parameter counts and the peak memory estimate.
 *
 * @param validation the rule check (the same report {@code validate} makes); the run can start when
 *     it is {@link ValidationReport#valid() valid}
 * @param configFile the model's config.json
 * @param config the model's sizes
 * @param methods each chosen method, in the order of {@code methods}
 * @param shape the model's parameters after every method's plan (adapters added, trainable flags set)
 * @param counts trainable and all parameters; empty when a method cannot be priced
 * @param memory the peak estimate; empty when a method cannot be priced
 */
public record RunPlan(
    ValidationReport validation,
    Path configFile,
    ModelConfig config,
    Workload workload,
    List<MethodPlanned> methods,
    ModelShape shape,
    Optional<Counts> counts,
    Optional<MemoryEstimate> memory) {

  public RunPlan {
    methods = List.copyOf(methods);
  }

  /** A chosen method and what its plan said; {@code priced} is false for a method that cannot be priced. */
  public record MethodPlanned(String id, boolean priced, List<String> notes) {
    public MethodPlanned {
      notes = List.copyOf(notes);
    }
  }

  /** Parameters as PEFT counts them: a 4-bit weight as the values it stands for, shared (tied) tensors once. */
  public record Counts(long trainable, long all) {

    /** PEFT's {@code print_trainable_parameters} line. */
    public String peftLine() {
      return MethodSetup.trainableLine(trainable, all);
    }
  }

  /** Whether every chosen method could be priced. */
  public boolean priced() {
    return methods.stream().allMatch(MethodPlanned::priced);
  }
}
