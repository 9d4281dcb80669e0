package dev.peft4j.method.lora;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/** The {@code adapter_config.json} Hugging Face PEFT writes for a LoRA adapter. */
final class PeftConfig {

  private PeftConfig() {}

  static Map<String, Object> of(LoraSettings settings, Collection<String> adapted) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("peft_type", "LORA");
    config.put("task_type", "CAUSAL_LM");
    config.put("r", settings.rank());
    config.put("lora_alpha", settings.alpha() == Math.rint(settings.alpha()) ? (Object) (int) settings.alpha() : settings.alpha());
    config.put("lora_dropout", settings.dropout());
    config.put("target_modules", settings.target().regex() != null
        ? settings.target().regex().pattern() : targetModules(settings, adapted));
    config.put("exclude_modules", settings.excludeModules().isEmpty() ? null : settings.excludeModules());
    config.put("bias", settings.bias().name().toLowerCase(Locale.ROOT));
    config.put("use_rslora", settings.useRslora());
    config.put("use_dora", settings.useDora());
    config.put("init_lora_weights", initLoraWeights(settings.init()));
    config.put("fan_in_fan_out", false);
    config.put("inference_mode", true);
    config.put("modules_to_save", null);
    config.put("layers_to_transform", settings.layersToTransform().isEmpty() ? null : settings.layersToTransform());
    Map<String, Object> rankPattern = new LinkedHashMap<>();
    settings.rankPattern().forEach((pattern, rank) -> rankPattern.put(pattern, (int) Math.round(rank)));
    config.put("rank_pattern", rankPattern);
    config.put("alpha_pattern", settings.alphaPattern());
    return config;
  }

  /**
   * PEFT's {@code init_lora_weights}. A PiSSA adapter keeps "pissa": loading it re-runs the decomposition
   * on the original base (which PiSSA changed) before the saved A and B replace the initial ones.
   */
  private static Object initLoraWeights(LoraSettings.Init init) {
    return switch (init.kind()) {
      case DEFAULT -> true;
      case GAUSSIAN -> "gaussian";
      case PISSA -> init.pissaIterations() == 0 ? "pissa" : "pissa_niter_" + init.pissaIterations();
    };
  }

  /** The last component of each adapted module, as PEFT lists target_modules ({@code q_proj}, {@code v_proj}). */
  private static List<String> targetModules(LoraSettings settings, Collection<String> adapted) {
    if (!settings.target().allLinear()) {
      return new ArrayList<>(new TreeSet<>(settings.target().names()));
    }
    TreeSet<String> names = new TreeSet<>();
    adapted.forEach(name -> names.add(name.substring(name.lastIndexOf('.') + 1)));
    return new ArrayList<>(names);
  }
}
