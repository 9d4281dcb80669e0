package dev.peft4j.method.lora;

import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.peft4j.api.config.SettingsReader;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The settings of {@code peft4j.lora}, read eagerly; see {@code reference.conf} for each one.
 *
 * @param target which linear layers get an adapter
 * @param init how A and B start
 */
public record LoraSettings(
    int rank,
    double alpha,
    double dropout,
    Target target,
    List<String> excludeModules,
    List<Integer> layersToTransform,
    Map<String, Double> rankPattern,
    Map<String, Double> alphaPattern,
    Bias bias,
    Init init,
    boolean useRslora,
    boolean useDora,
    OptionalDouble loraplusLrRatio,
    double loraplusLrEmbedding,
    List<String> modulesToSave,
    boolean pissaConvert) {

  /** The {@code all-linear} target: every linear layer but the output head. */
  public static final String ALL_LINEAR = "all-linear";

  private static final Pattern PISSA = Pattern.compile("pissa(?:_niter_(\\d+))?");

  /** Which biases train, as PEFT's {@code bias}. */
  public enum Bias { NONE, ALL, LORA_ONLY }

  /** How a LoRA layer is initialised; {@code pissaIterations} is 0 for exact PiSSA, N for {@code pissa_niter_N}. */
  public record Init(Kind kind, int pissaIterations) {
    public enum Kind { DEFAULT, GAUSSIAN, PISSA }
  }

  /**
   * Which linear layers get an adapter: names matched exactly or as a dotted suffix, a regular
   * expression on the full name, or every linear layer but the output head.
   */
  public record Target(List<String> names, Pattern regex, boolean allLinear) {
    static Target ofNames(List<String> names) {
      return new Target(List.copyOf(names), null, false);
    }
  }

  public static LoraSettings read(SettingsReader r) {
    int rank = r.integerAtLeast("rank", 1);
    double alpha = r.positiveNumber("alpha");
    double dropout = r.numberInRange("dropout", 0.0, 0.999);
    Target target = readTarget(r);
    List<Integer> layers = r.integers("layers-to-transform");
    if (target.regex() != null && !layers.isEmpty()) {
      r.problem("layers-to-transform", "cannot be used when target is a regular expression (as in PEFT): "
          + "put the layer numbers into the expression, or make target a list of names");
    }
    layers.stream().filter(i -> i < 0).findFirst()
        .ifPresent(i -> r.problem("layers-to-transform", "layer indices start at 0, got " + i));
    Map<String, Double> rankPattern = r.numberMap("rank-pattern");
    Map<String, Double> alphaPattern = r.numberMap("alpha-pattern");
    checkPatterns(r, "rank-pattern", rankPattern, true);
    checkPatterns(r, "alpha-pattern", alphaPattern, false);
    OptionalDouble ratio = r.optionalNumber("loraplus-lr-ratio");
    if (ratio.isPresent() && ratio.getAsDouble() <= 0) {
      r.problem("loraplus-lr-ratio", "must be positive (typically 16), got " + ratio.getAsDouble());
    }
    double embeddingLr = r.numberAtLeast("loraplus-lr-embedding", 0);
    boolean useRslora = r.bool("use-rslora");
    boolean pissaConvert = r.bool("pissa-convert");
    if (pissaConvert && useRslora && !(rankPattern.isEmpty() && alphaPattern.isEmpty())) {
      r.problem("pissa-convert", "cannot convert an rsLoRA adapter with rank-pattern or alpha-pattern (PEFT does not "
          + "either); remove pissa-convert, use-rslora or the patterns");
    }
    return new LoraSettings(
        rank, alpha, dropout, target,
        r.strings("exclude-modules"), layers, rankPattern, alphaPattern,
        r.choice("bias", Bias.class), readInit(r),
        useRslora, r.bool("use-dora"), ratio, embeddingLr,
        r.strings("modules-to-save"), pissaConvert);
  }


  private static Target readTarget(SettingsReader r) {
    ConfigValue value = r.raw("target");
    if (value != null && value.valueType() == ConfigValueType.STRING) {
      String text = ((String) value.unwrapped()).trim();
      if (text.equals(ALL_LINEAR)) {
        return new Target(List.of(), null, true);
      }
      try {
        return new Target(List.of(), Pattern.compile(text), false);
      } catch (PatternSyntaxException e) {
        r.problem("target", "a single string is a regular expression, and \"" + text + "\" is not one: "
            + e.getDescription() + ". Write a list ([q_proj, v_proj]) for names");
        return Target.ofNames(List.of());
      }
    }
    List<String> names = r.strings("target");
    if (names.isEmpty() && !r.hasProblem("target")) {
      r.problem("target", "is empty: name the linear layers to adapt, e.g. [q_proj, v_proj], or \"all-linear\"");
    }
    return Target.ofNames(names);
  }

  private static Init readInit(SettingsReader r) {
    String text = r.string("init").trim().toLowerCase(java.util.Locale.ROOT);
    switch (text) {
      case "default", "true":
        return new Init(Init.Kind.DEFAULT, 0);
      case "gaussian":
        return new Init(Init.Kind.GAUSSIAN, 0);
      default:
        Matcher m = PISSA.matcher(text);
        if (m.matches()) {
          if (m.group(1) == null) {
            return new Init(Init.Kind.PISSA, 0);
          }
          if (m.group(1).length() > 4 || Integer.parseInt(m.group(1)) < 1) {
            r.problem("init", "pissa_niter_N needs 1 <= N <= 9999 power iterations, got " + m.group(1));
            return new Init(Init.Kind.PISSA, 1);
          }
          return new Init(Init.Kind.PISSA, Integer.parseInt(m.group(1)));
        }
        r.problem("init", "must be one of default, gaussian, pissa, pissa_niter_N (N >= 1), got \"" + text + "\"");
        return new Init(Init.Kind.DEFAULT, 0);
    }
  }

  private static void checkPatterns(SettingsReader r, String key, Map<String, Double> patterns, boolean integral) {
    patterns.forEach((regex, value) -> {
      try {
        Pattern.compile(regex);
      } catch (PatternSyntaxException e) {
        r.problem(key, "key \"" + regex + "\" is not a regular expression: " + e.getDescription());
      }
      if (value <= 0) {
        r.problem(key, "value for \"" + regex + "\" must be positive, got " + value);
      } else if (integral && value != Math.rint(value)) {
        r.problem(key, "value for \"" + regex + "\" is a rank and must be an integer, got " + value);
      }
    });
  }
}
