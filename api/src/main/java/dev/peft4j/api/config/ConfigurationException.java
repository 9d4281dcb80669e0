package dev.peft4j.api.config;

import static org.apiguardian.api.API.Status.STABLE;

import dev.peft4j.api.Peft4jException;
import dev.peft4j.api.rules.Violation;
import java.util.ArrayList;
import java.util.List;
import org.apiguardian.api.API;

/**
 * A run cannot start: its settings are wrong, or it breaks rules between methods. Every problem and
 * every broken rule found is listed, numbered, in the message, so that a user fixes them all at once.
 */
@API(status = STABLE, since = "0.1")
public class ConfigurationException extends Peft4jException {
  private static final long serialVersionUID = 1L;

  private final transient List<SettingProblem> problems;
  private final transient List<Violation> violations;

  public ConfigurationException(List<SettingProblem> problems) {
    this(problems, List.of());
  }

  public ConfigurationException(List<SettingProblem> problems, List<Violation> violations) {
    super(describe(problems, violations));
    this.problems = List.copyOf(problems);
    this.violations = List.copyOf(violations);
  }

  /** Settings that are wrong in themselves: unknown keys, wrong types, values out of range. */
  public List<SettingProblem> problems() {
    return problems;
  }

  /** Rules between methods that the run breaks (errors only; warnings do not stop a run). */
  public List<Violation> violations() {
    return violations;
  }

  private static String describe(List<SettingProblem> problems, List<Violation> violations) {
    List<String> entries = new ArrayList<>();
    problems.forEach(p -> entries.add(p.toString()));
    violations.forEach(v -> entries.add(v.toString()));
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("a ConfigurationException needs at least one problem or violation");
    }
    StringBuilder text = new StringBuilder("the run cannot start: ");
    if (!problems.isEmpty()) {
      text.append(problems.size()).append(problems.size() == 1 ? " problem in the settings" : " problems in the settings");
    }
    if (!violations.isEmpty()) {
      text.append(problems.isEmpty() ? "" : " and ")
          .append(violations.size()).append(violations.size() == 1 ? " broken rule" : " broken rules")
          .append(" between methods");
    }
    text.append(':');
    for (int i = 0; i < entries.size(); i++) {
      text.append(System.lineSeparator()).append("  ").append(i + 1).append(". ").append(entries.get(i));
    }
    return text.toString();
  }
}
