package dev.peft4j.method.freeze;

import dev.peft4j.api.MethodContext;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.ParameterSelector;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.plan.MethodPlan;
import dev.peft4j.api.plan.ModelShape;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Full fine-tuning: every parameter trains. */
public final class FullMethodFactory implements MethodFactory<FullMethodFactory.Settings> {

  public static final String ID = "full";

  /** {@code full} has no settings. */
  public record Settings() {}

  @Override
  public MethodDescriptor descriptor() {
    return new MethodDescriptor(
        ID,
        Set.of(MethodKind.SELECTOR),
        MethodDescriptor.versionOf(FullMethodFactory.class),
        "Full fine-tuning: every parameter trains",
        Set.of(),
        List.of());
  }

  @Override
  public Settings readSettings(SettingsReader reader) {
    return new Settings();
  }

  @Override
  public PeftMethod create(Settings settings, MethodContext context) {
    return (ParameterSelector) model -> {
      Set<String> all = new LinkedHashSet<>();
      model.parameters().forEach(p -> all.add(p.name()));
      return all;
    };
  }

  /** Every parameter of the model trains. */
  @Override
  public Optional<MethodPlan> plan(Settings settings, ModelShape model) {
    MethodPlan.Builder plan = MethodPlan.builder();
    model.parameters().forEach(p -> plan.train(p.name()));
    return Optional.of(plan.build());
  }
}
