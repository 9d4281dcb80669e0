package dev.peft4j.api.config;

import static org.apiguardian.api.API.Status.STABLE;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Collectors;
import org.apiguardian.api.API;

/**
 * Reads one block of settings (such as {@code peft4j.lora}) eagerly into a record, collecting every
 * problem instead of stopping at the first, so that a user sees all of them at once.
 *
 * <p>Every getter returns a harmless placeholder when the value is bad and records a {@link
 * SettingProblem} naming the key, where it was set, the expected type and what was found. After
 * reading, the caller (the runtime) looks at {@link #problems()}.
 *
 * <p>The block is read from the merged configuration, so defaults from {@code reference.conf} are
 * present. A key missing there is a bug of the method (its {@code reference.conf} must define every
 * setting) and is reported as such. Keys are written in kebab case ({@code update-interval}).
 */
@API(status = STABLE, since = "0.1")
public final class SettingsReader {

  private final Config root;
  private final String path;
  private final List<SettingProblem> problems;

  /**
   * @param root the whole merged, resolved configuration
   * @param path the block to read, e.g. {@code peft4j.lora}
   */
  public SettingsReader(Config root, String path) {
    this(root, path, new ArrayList<>());
  }

  private SettingsReader(Config root, String path, List<SettingProblem> problems) {
    this.root = Objects.requireNonNull(root, "root is null");
    this.path = Objects.requireNonNull(path, "path is null");
    this.problems = problems;
  }

  /** The block this reader reads, e.g. {@code peft4j.lora}. */
  public String path() {
    return path;
  }

  /** A reader of another block of the same configuration that records its problems with this reader's. */
  public SettingsReader block(String otherPath) {
    return new SettingsReader(root, otherPath, problems);
  }

  public List<SettingProblem> problems() {
    return List.copyOf(problems);
  }

  /** Throws a {@link ConfigurationException} listing every problem, if there is any. */
  public void throwIfProblems() {
    if (!problems.isEmpty()) {
      throw new ConfigurationException(problems);
    }
  }

  /** Records a problem with a value that is well-typed but not acceptable. */
  public void problem(String key, String message) {
    problems.add(new SettingProblem(full(key), originOf(key), message));
  }

  public int integer(String key) {
    ConfigValue value = required(key, ConfigValueType.NUMBER, "an integer");
    if (value == null) {
      return 0;
    }
    Number number = (Number) value.unwrapped();
    if (number.doubleValue() != Math.rint(number.doubleValue())
        || number.doubleValue() > Integer.MAX_VALUE
        || number.doubleValue() < Integer.MIN_VALUE) {
      problems.add(mismatch(key, value, "an integer"));
      return 0;
    }
    return number.intValue();
  }

  /** An integer that must be at least {@code min}. */
  public int integerAtLeast(String key, int min) {
    int value = integer(key);
    if (value < min && !hasProblem(key)) {
      problem(key, "must be at least " + min + ", got " + value);
      return min;
    }
    return value;
  }

  /**
   * A number that training can compute with: finite ({@code 1e400} reads as Infinity) and, since weights
   * and optimizer state are float32, neither beyond float32's range nor so small that it becomes 0 or loses
   * its precision there ({@code 1e-320}).
   */
  public double number(String key) {
    ConfigValue value = required(key, ConfigValueType.NUMBER, "a number");
    if (value == null) {
      return 0.0;
    }
    double number = ((Number) value.unwrapped()).doubleValue();
    if (!Double.isFinite(number) || Math.abs(number) > Float.MAX_VALUE) {
      problem(key, "must be a finite number within float32's range (at most " + Float.MAX_VALUE + "), got "
          + number + ": training computes in float32, where it is infinite");
      return 0.0;
    }
    if (number != 0 && Math.abs(number) < Float.MIN_NORMAL) {
      problem(key, "underflows: " + number + " is below float32's smallest normal number (" + Float.MIN_NORMAL
          + ") and would compute as 0 or lose its precision; write 0 or a number of at least " + Float.MIN_NORMAL);
      return 0.0;
    }
    return number;
  }

  /** A number greater than zero. */
  public double positiveNumber(String key) {
    double value = number(key);
    if (value <= 0 && !hasProblem(key)) {
      problem(key, "must be positive, got " + value);
    }
    return value;
  }

  /** A number that must be at least {@code min}. */
  public double numberAtLeast(String key, double min) {
    double value = number(key);
    if (value < min && !hasProblem(key)) {
      problem(key, "must be at least " + min + ", got " + value);
    }
    return value;
  }

  /** A number in {@code [min, max]}. */
  public double numberInRange(String key, double min, double max) {
    double value = number(key);
    if ((value < min || value > max) && !hasProblem(key)) {
      problem(key, "must be between " + min + " and " + max + ", got " + value);
      return min;
    }
    return value;
  }

  /** A number that may be {@code null} (unset). */
  public OptionalDouble optionalNumber(String key) {
    ConfigValue value = optional(key, ConfigValueType.NUMBER, "a number or null");
    return value == null ? OptionalDouble.empty() : OptionalDouble.of(number(key));
  }

  public boolean bool(String key) {
    ConfigValue value = required(key, ConfigValueType.BOOLEAN, "true or false");
    return value != null && (Boolean) value.unwrapped();
  }

  public String string(String key) {
    ConfigValue value = required(key, ConfigValueType.STRING, "a string");
    return value == null ? "" : (String) value.unwrapped();
  }

  /** A string that may be {@code null} (unset). */
  public Optional<String> optionalString(String key) {
    ConfigValue value = optional(key, ConfigValueType.STRING, "a string or null");
    return value == null ? Optional.empty() : Optional.of((String) value.unwrapped());
  }

  /** A list of strings; a single string is accepted as a one-element list. */
  public List<String> strings(String key) {
    ConfigValue value = raw(key);
    if (value == null) {
      return List.of();
    }
    if (value.valueType() == ConfigValueType.STRING) {
      return List.of((String) value.unwrapped());
    }
    if (value.valueType() != ConfigValueType.LIST) {
      problems.add(mismatch(key, value, "a list of strings"));
      return List.of();
    }
    List<String> result = new ArrayList<>();
    for (ConfigValue element : (ConfigList) value) {
      if (element.valueType() != ConfigValueType.STRING && element.valueType() != ConfigValueType.NUMBER) {
        problems.add(mismatch(key, element, "a list of strings"));
        return List.of();
      }
      result.add(String.valueOf(element.unwrapped()));
    }
    return List.copyOf(result);
  }

  /** A list of integers. */
  public List<Integer> integers(String key) {
    ConfigValue value = raw(key);
    if (value == null) {
      return List.of();
    }
    if (value.valueType() != ConfigValueType.LIST) {
      problems.add(mismatch(key, value, "a list of integers"));
      return List.of();
    }
    List<Integer> result = new ArrayList<>();
    for (ConfigValue element : (ConfigList) value) {
      Object unwrapped = element.unwrapped();
      if (!(unwrapped instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
          || n.doubleValue() > Integer.MAX_VALUE || n.doubleValue() < Integer.MIN_VALUE) {
        problems.add(mismatch(key, element, "a list of integers"));
        return List.of();
      }
      result.add(n.intValue());
    }
    return List.copyOf(result);
  }

  /**
   * A map from string keys (quoted in HOCON when they hold dots or regex characters) to numbers, in
   * the order the user wrote them (first by file, then by line), since the first matching pattern wins.
   */
  public Map<String, Double> numberMap(String key) {
    ConfigValue value = raw(key);
    if (value == null) {
      return Map.of();
    }
    if (value.valueType() != ConfigValueType.OBJECT) {
      problems.add(mismatch(key, value, "an object of numbers, e.g. { \"q_proj\" = 16 }"));
      return Map.of();
    }
    Map<String, Double> result = new LinkedHashMap<>();
    List<Map.Entry<String, ConfigValue>> entries = new ArrayList<>(((ConfigObject) value).entrySet());
    entries.sort(java.util.Comparator
        .comparing((Map.Entry<String, ConfigValue> e) -> String.valueOf(e.getValue().origin().filename()))
        .thenComparingInt(e -> e.getValue().origin().lineNumber()));
    for (Map.Entry<String, ConfigValue> entry : entries) {
      if (!(entry.getValue().unwrapped() instanceof Number n) || !Double.isFinite(n.doubleValue())) {
        problems.add(mismatch(key + "." + quote(entry.getKey()), entry.getValue(), "a number"));
        continue;
      }
      result.put(entry.getKey(), n.doubleValue());
    }
    return result;
  }

  /**
   * One of an enum's constants, written in lower case with dashes or underscores
   * ({@code reverse-std}, {@code reverse_std} for {@code REVERSE_STD}).
   */
  public <E extends Enum<E>> E choice(String key, Class<E> type) {
    E[] constants = type.getEnumConstants();
    ConfigValue value = required(key, ConfigValueType.STRING, "one of " + names(constants));
    if (value == null) {
      return constants[0];
    }
    String text = ((String) value.unwrapped()).trim();
    for (E constant : constants) {
      if (constant.name().equalsIgnoreCase(text.replace('-', '_'))) {
        return constant;
      }
    }
    problem(key, "must be one of " + names(constants) + ", got \"" + text + "\"");
    return constants[0];
  }

  /** The value as it is, or {@code null} when unset; for settings of more than one shape. */
  public ConfigValue raw(String key) {
    String full = full(key);
    if (!root.hasPathOrNull(full)) {
      problems.add(new SettingProblem(full, Origins.DEFAULT,
          "has no default: the reference.conf of the module that owns " + path + " must define it"));
      return null;
    }
    return root.getIsNull(full) ? null : root.getValue(full);
  }

  /** Where a key was set ({@code run.conf:12}, {@code default}). */
  public String originOf(String key) {
    String full = full(key);
    try {
      return root.hasPath(full) ? Origins.describe(root.getValue(full).origin()) : Origins.DEFAULT;
    } catch (ConfigException e) {
      return Origins.DEFAULT;
    }
  }

  private ConfigValue required(String key, ConfigValueType type, String expected) {
    ConfigValue value = raw(key);
    if (value == null) {
      if (root.hasPathOrNull(full(key))) {
        problem(key, "must be set (expected " + expected + ")");
      }
      return null;
    }
    return checked(key, value, type, expected);
  }

  private ConfigValue optional(String key, ConfigValueType type, String expected) {
    ConfigValue value = raw(key);
    return value == null ? null : checked(key, value, type, expected);
  }

  private ConfigValue checked(String key, ConfigValue value, ConfigValueType type, String expected) {
    if (value.valueType() == type) {
      return value;
    }
    // HOCON writes unquoted words as strings: accept "8" for a number and "true" for a boolean.
    if (value.valueType() == ConfigValueType.STRING) {
      String text = ((String) value.unwrapped()).trim();
      try {
        if (type == ConfigValueType.NUMBER && Double.isFinite(Double.parseDouble(text))) {
          return ConfigValueFactory.fromAnyRef(Double.valueOf(text), value.origin().description());
        }
        if (type == ConfigValueType.BOOLEAN && (text.equals("true") || text.equals("false"))) {
          return ConfigValueFactory.fromAnyRef(Boolean.valueOf(text), value.origin().description());
        }
      } catch (NumberFormatException e) {
        // fall through to the mismatch
      }
    }
    if (type == ConfigValueType.STRING
        && (value.valueType() == ConfigValueType.NUMBER || value.valueType() == ConfigValueType.BOOLEAN)) {
      return ConfigValueFactory.fromAnyRef(String.valueOf(value.unwrapped()), value.origin().description());
    }
    problems.add(mismatch(key, value, expected));
    return null;
  }

  /**
   * Whether {@code key} has no usable value: a problem was recorded for it, or it is unset. Range
   * checks ask this so that they do not pile onto a type error.
   */
  public boolean hasProblem(String key) {
    String full = full(key);
    return !root.hasPath(full) || problems.stream().anyMatch(p -> p.path().equals(full));
  }

  private SettingProblem mismatch(String key, ConfigValue found, String expected) {
    return new SettingProblem(full(key), Origins.describe(found.origin()),
        "expected " + expected + ", got " + describe(found));
  }

  private String full(String key) {
    return path + "." + key;
  }

  static String describe(ConfigValue value) {
    return switch (value.valueType()) {
      case STRING -> "a string \"" + value.unwrapped() + "\"";
      case NUMBER -> "the number " + value.unwrapped();
      case BOOLEAN -> "the boolean " + value.unwrapped();
      case LIST -> "a list " + value.render(ConfigRenderOptions.concise());
      case OBJECT -> "an object " + value.render(ConfigRenderOptions.concise());
      case NULL -> "null";
    };
  }

  private static String quote(String key) {
    return key.matches("[A-Za-z0-9_-]+") ? key : "\"" + key + "\"";
  }

  private static String names(Enum<?>[] constants) {
    return Arrays.stream(constants)
        .map(c -> c.name().toLowerCase(Locale.ROOT).replace('_', '-'))
        .collect(Collectors.joining(", "));
  }
}
