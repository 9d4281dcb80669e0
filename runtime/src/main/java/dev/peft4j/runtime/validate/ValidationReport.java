package dev.peft4j.runtime.validate;

import dev.peft4j.api.config.ConfigurationException;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.rules.Severity;
import dev.peft4j.api.rules.Violation;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.config.RunConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything validation found about a run.
 *
 * @param settings each chosen method's settings record, in the order of {@code methods}
 * @param model the model's structure, when its config.json could be read
 * @param violations broken rules, errors and warnings
 */
public record ValidationReport(
    RunConfig run,
    CoreSettings core,
    Map<String, Object> settings,
    Optional<ModelInfo> model,
    List<SettingProblem> problems,
    List<Violation> violations) {

  public ValidationReport {
    settings = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(settings));
    problems = List.copyOf(problems);
    violations = List.copyOf(violations);
  }

  public List<Violation> errors() {
    return violations.stream().filter(v -> v.severity() == Severity.ERROR).toList();
  }

  public List<Violation> warnings() {
    return violations.stream().filter(v -> v.severity() == Severity.WARNING).toList();
  }

  public boolean valid() {
    return problems.isEmpty() && errors().isEmpty();
  }

  /** @throws ConfigurationException listing every problem and broken rule, when the run cannot start */
  public ValidationReport orThrow() {
    if (!valid()) {
      throw new ConfigurationException(problems, errors());
    }
    return this;
  }
}
