package dev.peft4j.method.freeze;

import dev.peft4j.api.MethodContext;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.ParameterSelector;
import dev.peft4j.api.config.SettingsReader;
import java.util.LinkedHashSet;
import java.util.List;
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
}
