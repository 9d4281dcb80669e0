package dev.peft4j.plugins.ia3;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which modules a setting names, matched as PEFT matches them: a list of names, or a regular expression on the
 * full dotted name ({@code fullmatch}), or every linear layer but the output head ({@code all-linear}).
 *
 * @param names the names of a list; empty for a regular expression or all-linear
 * @param regex the regular expression, or null
 * @param allLinear whether this is {@code all-linear}
 */
public record Modules(List<String> names, Pattern regex, boolean allLinear) {

  public static final String ALL_LINEAR = "all-linear";

  public Modules {
    names = List.copyOf(names);
  }

  static Modules ofNames(List<String> names) {
    return new Modules(names, null, false);
  }

  /**
   * Whether the module {@code name} is named here. A list entry matches the whole name or its end after a dot
   * ({@code k_proj} matches {@code model.layers.0.self_attn.k_proj}), as PEFT's {@code target_modules} do.
   */
  boolean matches(String name, boolean outputHead) {
    if (allLinear) {
      return !outputHead;
    }
    if (regex != null) {
      return regex.matcher(name).matches();
    }
    return names.stream().anyMatch(n -> name.equals(n) || name.endsWith("." + n));
  }

  /**
   * Whether {@code name} is a feed-forward module: PEFT tests {@code feedforward_modules} with a plain {@code
   * endswith} (no dot needed) when it is a list, and {@code fullmatch} when it is a string.
   */
  boolean matchesFeedforward(String name) {
    if (regex != null) {
      return regex.matcher(name).matches();
    }
    return names.stream().anyMatch(name::endsWith);
  }

  /** The value of this setting in PEFT's adapter_config.json: the list of names, or the expression. */
  Object peftValue() {
    if (allLinear) {
      return ALL_LINEAR;
    }
    return regex != null ? regex.pattern() : new java.util.ArrayList<>(new java.util.TreeSet<>(names));
  }
}
