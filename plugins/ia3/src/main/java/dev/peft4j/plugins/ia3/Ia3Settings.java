package dev.peft4j.plugins.ia3;

import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.peft4j.api.config.SettingsReader;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The settings of {@code peft4j.ia3}, read eagerly; {@code reference.conf} documents each one.
 *
 * @param target the linear layers that get a scaling vector
 * @param feedforward the targets whose input (not output) is scaled
 * @param excludeModules modules never adapted
 */
public record Ia3Settings(Modules target, Modules feedforward, List<String> excludeModules) {

  public static Ia3Settings read(SettingsReader r) {
    Modules target = modules(r, "target", true);
    Modules feedforward = modules(r, "feedforward-modules", false);
    List<String> exclude = r.strings("exclude-modules");
    // PEFT: "feedforward_modules should be a subset of target_modules" when both are lists.
    if (target.regex() == null && !target.allLinear() && feedforward.regex() == null) {
      for (String name : feedforward.names()) {
        if (!target.names().contains(name)) {
          r.problem("feedforward-modules", "\"" + name + "\" is not in ia3.target " + target.names()
              + ": feed-forward modules must be targets too (add it to target or remove it here)");
        }
      }
    }
    return new Ia3Settings(target, feedforward, exclude);
  }

  /** Whether the linear layer {@code name} gets a vector: a target, not excluded (the output head only by name). */
  boolean adapts(String name) {
    return !Modules.ofNames(excludeModules).matches(name, false) && target.matches(name, name.equals("lm_head"));
  }

  /** Whether the vector of the adapted layer {@code name} scales its input ({@code [1, in]}) rather than its output. */
  boolean scalesInput(String name) {
    return feedforward.matchesFeedforward(name);
  }

  private static Modules modules(SettingsReader r, String key, boolean allowAllLinear) {
    ConfigValue value = r.raw(key);
    if (value != null && value.valueType() == ConfigValueType.STRING) {
      String text = ((String) value.unwrapped()).trim();
      if (allowAllLinear && text.equals(Modules.ALL_LINEAR)) {
        return new Modules(List.of(), null, true);
      }
      try {
        return new Modules(List.of(), Pattern.compile(text), false);
      } catch (PatternSyntaxException e) {
        r.problem(key, "a single string is a regular expression, and \"" + text + "\" is not one: "
            + e.getDescription() + ". Write a list ([k_proj, v_proj]) for names");
        return Modules.ofNames(List.of());
      }
    }
    List<String> names = r.strings(key);
    if (allowAllLinear && names.isEmpty() && !r.hasProblem(key)) {
      r.problem(key, "is empty: name the linear layers to scale, e.g. [k_proj, v_proj, down_proj], or \"all-linear\"");
    }
    return Modules.ofNames(names);
  }
}
