package dev.peft4j.method.lora;

import dev.peft4j.api.UnsupportedFeatureException;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/** Which linear layers get an adapter, and with which rank and alpha — PEFT's matching rules. */
final class LoraTargets {

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
    if (settings.excludeModules().stream().anyMatch(name -> ModuleNames.matches(module, name))) {
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

  /** Refuses what this version cannot do, before anything is created or planned. */
  static void requireSupported(LoraSettings settings) {
    if (!settings.modulesToSave().isEmpty()) {
      throw new UnsupportedFeatureException("lora.modules-to-save is not implemented yet in this "
          + "version; remove it (or use freeze to train whole modules)");
    }
  }

  /** PEFT's {@code bias}: whether the bias parameter {@code name} trains (none, every bias, or adapted layers'). */
  static boolean trainsBias(LoraSettings settings, String name, Predicate<String> adapted) {
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
