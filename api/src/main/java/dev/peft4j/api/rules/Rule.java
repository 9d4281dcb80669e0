package dev.peft4j.api.rules;

import static org.apiguardian.api.API.Status.STABLE;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.apiguardian.api.API;

/**
 * A rule between methods, as data: when every condition holds, the run breaks the rule. Example,
 * LoRA's "not with GaLore": {@code Rule.error("lora-with-galore", "LoRA cannot be combined with
 * GaLore: ...", chosen("lora"), chosen("galore"))}.
 *
 * @param name short kebab name, unique within the declaring method
 * @param severity whether breaking it stops the run
 * @param message what is wrong and what to do, for the user
 * @param when the conditions that together break the rule; not empty
 */
@API(status = STABLE, since = "0.1")
public record Rule(String name, Severity severity, String message, List<Condition> when) {

  public Rule {
    Objects.requireNonNull(name, "name is null");
    Objects.requireNonNull(severity, "severity is null");
    Objects.requireNonNull(message, "message is null");
    when = List.copyOf(Objects.requireNonNull(when, "when is null"));
    if (when.isEmpty()) {
      throw new IllegalArgumentException("rule '" + name + "' has no condition");
    }
  }

  public static Rule error(String name, String message, Condition... when) {
    return new Rule(name, Severity.ERROR, message, List.of(when));
  }

  public static Rule warning(String name, String message, Condition... when) {
    return new Rule(name, Severity.WARNING, message, List.of(when));
  }

  /** The conditions in readable form, as {@code peft4j methods} prints them. */
  public String describeConditions() {
    return when.stream().map(Condition::describe).collect(Collectors.joining(" and "));
  }
}
