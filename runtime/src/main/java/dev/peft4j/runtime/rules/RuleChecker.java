package dev.peft4j.runtime.rules;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.config.Origins;
import dev.peft4j.api.rules.Condition;
import dev.peft4j.api.rules.Condition.CapabilityCount;
import dev.peft4j.api.rules.Condition.Fact;
import dev.peft4j.api.rules.Condition.KindCount;
import dev.peft4j.api.rules.Condition.MethodChosen;
import dev.peft4j.api.rules.Condition.MethodNotChosen;
import dev.peft4j.api.rules.Condition.Setting;
import dev.peft4j.api.rules.Rule;
import dev.peft4j.api.rules.Violation;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks every rule — the runtime's own and those of every known method, chosen or not (an unchosen
 * method's rules catch its options used without it) — and reports each broken one with the methods
 * involved and where each fact was set.
 */
public final class RuleChecker {

  private final List<MethodDescriptor> known;

  /** @param known every discovered method; their rules are checked along with the core rules */
  public RuleChecker(List<MethodDescriptor> known) {
    this.known = List.copyOf(known);
  }

  public List<Violation> check(ChosenMethods chosen, Config merged, RunFacts facts) {
    List<Violation> violations = new ArrayList<>();
    for (Rule rule : CoreRules.RULES) {
      evaluate(CoreRules.DECLARED_BY, rule, chosen, merged, facts).ifPresent(violations::add);
    }
    for (MethodDescriptor method : known) {
      for (Rule rule : method.rules()) {
        evaluate(method.id(), rule, chosen, merged, facts).ifPresent(violations::add);
      }
    }
    return violations;
  }

  /** The conditions are checked in order and stop at the first that does not hold, so facts are only asked for when needed. */
  private Optional<Violation> evaluate(String declaredBy, Rule rule, ChosenMethods chosen, Config merged, RunFacts facts) {
    Set<String> methods = new LinkedHashSet<>();
    if (chosen.contains(declaredBy)) {
      methods.add(declaredBy);
    }
    List<String> evidence = new ArrayList<>();
    for (Condition condition : rule.when()) {
      Optional<String> held = holds(condition, chosen, merged, facts, methods);
      if (held.isEmpty()) {
        return Optional.empty();
      }
      evidence.add(held.get());
    }
    return Optional.of(new Violation(declaredBy, rule, List.copyOf(methods), evidence));
  }

  private Optional<String> holds(Condition condition, ChosenMethods chosen, Config merged, RunFacts facts, Set<String> methods) {
    if (condition instanceof MethodChosen c) {
      if (!chosen.contains(c.method())) {
        return Optional.empty();
      }
      methods.add(c.method());
      return Optional.of(c.method() + " chosen at " + chosen.origins().getOrDefault(c.method(), chosen.listOrigin()));
    }
    if (condition instanceof MethodNotChosen c) {
      return chosen.contains(c.method())
          ? Optional.empty()
          : Optional.of(c.method() + " not in methods (" + chosen.listOrigin() + ")");
    }
    if (condition instanceof KindCount c) {
      List<String> matching = chosen.descriptors().stream()
          .filter(d -> d.kinds().stream().anyMatch(c.kinds()::contains)).map(MethodDescriptor::id).toList();
      String kinds = String.join(" or ", c.kinds().stream().map(k -> k.displayName()).sorted().toList());
      return count(matching, c.min(), c.max(), "of kind " + kinds, chosen, methods);
    }
    if (condition instanceof CapabilityCount c) {
      List<String> matching = chosen.descriptors().stream()
          .filter(d -> d.has(c.capability())).map(MethodDescriptor::id).toList();
      return count(matching, c.min(), c.max(), "that " + c.capability().displayName(), chosen, methods);
    }
    if (condition instanceof Setting c) {
      return setting(c, merged);
    }
    if (condition instanceof Fact c) {
      Optional<Boolean> value = facts.get(c.fact());
      if (value.isEmpty() || value.get() != c.expected()) {
        return Optional.empty();
      }
      return Optional.of((c.expected() ? "" : "not the case that ") + c.fact().description());
    }
    throw new IllegalStateException("unknown condition " + condition);
  }

  private static Optional<String> count(List<String> matching, int min, int max, String what, ChosenMethods chosen,
      Set<String> methods) {
    if (matching.size() < min || matching.size() > max) {
      return Optional.empty();
    }
    methods.addAll(matching);
    if (matching.isEmpty()) {
      return Optional.of("no method " + what + " in methods (" + chosen.listOrigin() + ")");
    }
    List<String> where = matching.stream()
        .map(id -> id + " at " + chosen.origins().getOrDefault(id, chosen.listOrigin())).toList();
    return Optional.of("chosen " + what + ": " + String.join(", ", where));
  }

  private static Optional<String> setting(Setting c, Config merged) {
    String path = "peft4j." + c.path();
    if (!merged.hasPathOrNull(path)) {
      return Optional.empty();
    }
    ConfigValue value = merged.getIsNull(path) ? null : merged.getValue(path);
    Object actual = value == null ? null : value.unwrapped();
    boolean holds = switch (c.op()) {
      case IS_SET -> actual != null;
      case EQUALS -> actual != null && same(actual, c.value());
      case NOT_EQUALS -> actual == null || !same(actual, c.value());
      case GREATER_THAN -> compare(actual, c.value()) > 0;
      case LESS_THAN -> compare(actual, c.value()) < 0;
      case MATCHES -> actual != null
          && Pattern.compile(String.valueOf(c.value()), Pattern.CASE_INSENSITIVE).matcher(String.valueOf(actual).trim()).matches();
    };
    if (!holds) {
      return Optional.empty();
    }
    String origin = value == null ? Origins.DEFAULT : Origins.describe(value.origin());
    String shown = c.path() + " = " + (actual == null ? "null" : actual);
    return Optional.of(origin.equals(Origins.DEFAULT) ? shown + " (default)" : shown + " at " + origin);
  }

  private static boolean same(Object actual, Object expected) {
    Double a = number(actual);
    Double b = number(expected);
    if (a != null && b != null) {
      return a.doubleValue() == b.doubleValue();
    }
    return normalize(actual).equals(normalize(expected));
  }

  /** Numeric comparison; a missing or non-numeric value compares as "not greater" and "not less". */
  private static int compare(Object actual, Object expected) {
    Double a = number(actual);
    Double b = number(expected);
    return a == null || b == null ? 0 : Double.compare(a, b);
  }

  private static Double number(Object value) {
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    if (value instanceof String s) {
      try {
        return Double.valueOf(s.trim());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  private static String normalize(Object value) {
    return String.valueOf(value).trim().toLowerCase(Locale.ROOT).replace('-', '_');
  }
}
