package dev.peft4j.api.rules;

import static org.apiguardian.api.API.Status.STABLE;

import java.util.List;
import java.util.Objects;
import org.apiguardian.api.API;

/**
 * A rule a run breaks; see {@link dev.peft4j.api.config.ConfigurationException#violations()}.
 *
 * @param declaredBy the id of the method that declared the rule, or {@code core}
 * @param rule the rule
 * @param methods the methods involved
 * @param evidence each condition that held, with where it was set ({@code galore chosen at
 *     run.conf:3}, {@code galore.layerwise = true at run.conf:8})
 */
@API(status = STABLE, since = "0.1")
public record Violation(String declaredBy, Rule rule, List<String> methods, List<String> evidence) {
  public Violation {
    Objects.requireNonNull(declaredBy, "declaredBy is null");
    Objects.requireNonNull(rule, "rule is null");
    methods = List.copyOf(methods);
    evidence = List.copyOf(evidence);
  }

  public Severity severity() {
    return rule.severity();
  }

  /** The message, then on a second line what broke the rule and where it was set. */
  @Override
  public String toString() {
    String who = methods.isEmpty() ? "" : "[" + String.join(", ", methods) + "] ";
    return who + rule.message() + System.lineSeparator()
        + "     because: " + (evidence.isEmpty() ? rule.describeConditions() : String.join("; ", evidence))
        + " [rule " + declaredBy + "/" + rule.name() + "]";
  }
}
