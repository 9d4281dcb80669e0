package dev.peft4j.method.lora;

import dev.peft4j.api.UnsupportedFeatureException;
import java.util.Collection;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/** Which linear layers get an adapter, and with which rank and alpha — PEFT's matching rules. */
final class LoraTargets {

  static final String NOTHING_ADAPTED = "lora.target matches no linear layer of the model (a module of "
      + "lora.modules-to-save gets no adapter): nothing to adapt";

  private final LoraSettings settings;

  LoraTargets(LoraSettings settings) {
    this.settings = settings;
  }

  /**
   * @param module the dotted module name
   * @param layer the decoder layer it belongs to, if any
   * @param outputHead whether it is the output head ({@code lm_head}), which {@code all-linear} skips
   */
  boolean targets(String module, OptionalInt layer, boolean outputHead) {
    if (settings.excludeModules().stream().anyMatch(name -> ModuleNames.matches(module, name)) || savedWhole(module)) {
      return false;
    }
    LoraSettings.Target target = settings.target();
    boolean matched;
    if (target.allLinear()) {
      matched = !outputHead;
    } else if (target.regex() != null) {
      matched = target.regex().matcher(module).matches();
    } else {
      matched = target.names().stream().anyMatch(name -> ModuleNames.matches(module, name));
    }
    if (!matched) {
      return false;
    }
    return settings.layersToTransform().isEmpty()
        || (layer.isPresent() && settings.layersToTransform().contains(layer.getAsInt()));
  }

  int rank(String module) {
    return (int) Math.round(patterned(settings.rankPattern(), module, settings.rank()));
  }

  double alpha(String module) {
    return patterned(settings.alphaPattern(), module, settings.alpha());
  }

  /** The scaling of a module's update: alpha / r, or alpha / sqrt(r) with rsLoRA. */
  double scaling(String module) {
    int r = rank(module);
    return settings.useRslora() ? alpha(module) / Math.sqrt(r) : alpha(module) / r;
  }

  /** PEFT's {@code get_pattern_key}: the first pattern (in the order written) matching the name's end. */
  private static double patterned(Map<String, Double> patterns, String module, double fallback) {
    for (Map.Entry<String, Double> entry : patterns.entrySet()) {
      if (Pattern.compile("(.*\\.)?(" + entry.getKey() + ")$").matcher(module).matches()) {
        return entry.getValue();
      }
    }
    return fallback;
  }

  /**
   * PEFT's {@code _check_target_module_exists}: no adapter on a module of {@code modules-to-save} or inside one (the
   * name is one of its dotted components).
   */
  private boolean savedWhole(String module) {
    return settings.modulesToSave().stream()
        .anyMatch(name -> Pattern.compile("(^|.*\\.)" + name + "($|\\..*)").matcher(module).matches());
  }

  /**
   * PEFT's {@code _set_trainable}: a parameter trains whole (saved with the adapter) when the name of a module
   * holding it ends with a name of {@code modules-to-save}, as plain text ({@code norm} also matches {@code
   * input_layernorm}, as in PEFT).
   */
  static boolean savesWhole(LoraSettings settings, String parameter) {
    for (int dot = parameter.indexOf('.'); dot >= 0; dot = parameter.indexOf('.', dot + 1)) {
      String module = parameter.substring(0, dot);
      if (settings.modulesToSave().stream().anyMatch(module::endsWith)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a base parameter trains in place and is saved with the adapter: it belongs to a module to save, or it is
   * a bias PEFT's {@code bias} trains.
   *
   * @param adapted whether a module got an adapter
   * @param quantized the linear layers stored in 4 bits
   * @throws UnsupportedFeatureException for a module to save of the 4-bit base, which cannot train
   */
  static boolean trainsInPlace(LoraSettings settings, String parameter, Predicate<String> adapted,
      Collection<String> quantized) {
    boolean whole = savesWhole(settings, parameter);
    if (whole && quantized.stream().anyMatch(q -> parameter.startsWith(q + "."))) {
      throw new UnsupportedFeatureException("lora.modules-to-save would train " + parameter + ", a weight of the 4-bit "
          + "base, which cannot train: name modules outside the decoder layers (embed_tokens, lm_head), or set "
          + "model.quantization = none");
    }
    return whole || trainsBias(settings, parameter, adapted);
  }

  /** PEFT's {@code bias}: whether the bias parameter {@code name} trains (none, every bias, or adapted layers'). */
  private static boolean trainsBias(LoraSettings settings, String name, Predicate<String> adapted) {
    if (!name.endsWith(".bias")) {
      return false;
    }
    return switch (settings.bias()) {
      case NONE -> false;
      case ALL -> true;
      case LORA_ONLY -> adapted.test(name.substring(0, name.length() - ".bias".length()));
    };
  }
}
