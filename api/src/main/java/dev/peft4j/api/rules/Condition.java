package dev.peft4j.api.rules;

import static org.apiguardian.api.API.Status.STABLE;

import dev.peft4j.api.MethodCapability;
import dev.peft4j.api.MethodKind;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.apiguardian.api.API;

/**
 * One part of a {@link Rule}: a fact about a run that is either true or false. Conditions are data,
 * so that the runtime can check them before anything heavy happens and say exactly which methods and
 * settings broke a rule, and so that {@code peft4j methods} can print them.
 */
@API(status = STABLE, since = "0.1")
public sealed interface Condition {

  /** A readable form, as {@code peft4j methods} prints it. */
  String describe();

  /** The method with this id is in {@code methods}. */
  record MethodChosen(String method) implements Condition {
    public MethodChosen {
      Objects.requireNonNull(method, "method is null");
    }

    @Override
    public String describe() {
      return method + " is chosen";
    }
  }

  /** The method with this id is not in {@code methods}. */
  record MethodNotChosen(String method) implements Condition {
    public MethodNotChosen {
      Objects.requireNonNull(method, "method is null");
    }

    @Override
    public String describe() {
      return method + " is not chosen";
    }
  }

  /**
   * The number of chosen methods that are of any of {@code kinds} lies in {@code [min, max]}.
   */
  record KindCount(Set<MethodKind> kinds, int min, int max) implements Condition {
    public KindCount {
      kinds = Set.copyOf(kinds);
      if (kinds.isEmpty() || min < 0 || max < min) {
        throw new IllegalArgumentException("KindCount needs kinds and 0 <= min <= max");
      }
    }

    @Override
    public String describe() {
      return range(min, max) + " chosen method(s) of kind " + String.join(" or ", kinds.stream().map(MethodKind::displayName).sorted().toList());
    }
  }

  /** The number of chosen methods that have {@code capability} lies in {@code [min, max]}. */
  record CapabilityCount(MethodCapability capability, int min, int max) implements Condition {
    public CapabilityCount {
      Objects.requireNonNull(capability, "capability is null");
      if (min < 0 || max < min) {
        throw new IllegalArgumentException("CapabilityCount needs 0 <= min <= max");
      }
    }

    @Override
    public String describe() {
      return range(min, max) + " chosen method(s) that " + capability.displayName();
    }
  }

  /**
   * A setting compares with a value. {@code path} is relative to {@code peft4j}, e.g. {@code
   * galore.layerwise} or {@code training.gradient-accumulation-steps}. Defaults count: the
   * comparison is made on the merged configuration.
   */
  record Setting(String path, Op op, Object value) implements Condition {
    public Setting {
      Objects.requireNonNull(path, "path is null");
      Objects.requireNonNull(op, "op is null");
      if (op != Op.IS_SET) {
        Objects.requireNonNull(value, "value is null");
      }
    }

    @Override
    public String describe() {
      return op == Op.IS_SET ? path + " is set" : path + " " + op.symbol + " " + value;
    }
  }

  /** A fact the runtime knows about the device or the model, without loading weights. */
  record Fact(RuntimeFact fact, boolean expected) implements Condition {
    public Fact {
      Objects.requireNonNull(fact, "fact is null");
    }

    @Override
    public String describe() {
      return (expected ? "" : "not: ") + fact.description;
    }
  }

  /** How a {@link Setting} compares. Numbers compare as numbers; everything else as text. */
  enum Op {
    EQUALS("=="),
    NOT_EQUALS("!="),
    GREATER_THAN(">"),
    LESS_THAN("<"),
    /** The setting's text matches the regular expression given as the value. */
    MATCHES("matches"),
    /** The setting is not {@code null}. */
    IS_SET("is set");

    private final String symbol;

    Op(String symbol) {
      this.symbol = symbol;
    }
  }

  /** What the runtime can tell before a run starts. */
  enum RuntimeFact {
    DEVICE_SUPPORTS_BF16("the device computes in bf16"),
    MODEL_LAYER_COUNT_KNOWN("the model's layer count is known (num_hidden_layers in config.json)");

    private final String description;

    RuntimeFact(String description) {
      this.description = description;
    }

    public String description() {
      return description;
    }
  }

  static MethodChosen chosen(String method) {
    return new MethodChosen(method);
  }

  static MethodNotChosen notChosen(String method) {
    return new MethodNotChosen(method);
  }

  static Setting setting(String path, Op op, Object value) {
    return new Setting(path, op, value);
  }

  static Setting isSet(String path) {
    return new Setting(path, Op.IS_SET, null);
  }

  private static String range(int min, int max) {
    if (min == max) {
      return String.valueOf(min);
    }
    return max == Integer.MAX_VALUE ? min + " or more" : String.format(Locale.ROOT, "%d to %d", min, max);
  }
}
