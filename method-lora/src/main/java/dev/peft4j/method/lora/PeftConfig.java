package dev.peft4j.method.lora;

import dev.peft4j.api.UnsupportedFeatureException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/** The {@code adapter_config.json} Hugging Face PEFT writes for a LoRA adapter, and the settings it stands for. */
final class PeftConfig {

  static final String PEFT_TYPE = "LORA";

  /** PEFT's adapter_config.json keys and the LoRA settings they set. */
  private static final Map<String, String> SETTINGS = Map.ofEntries(
      Map.entry("r", "rank"), Map.entry("lora_alpha", "alpha"), Map.entry("target_modules", "target"),
      Map.entry("use_rslora", "use-rslora"), Map.entry("use_dora", "use-dora"), Map.entry("bias", "bias"),
      Map.entry("layers_to_transform", "layers-to-transform"), Map.entry("rank_pattern", "rank-pattern"),
      Map.entry("alpha_pattern", "alpha-pattern"), Map.entry("exclude_modules", "exclude-modules"),
      Map.entry("modules_to_save", "modules-to-save"));

  private PeftConfig() {}

  static Map<String, Object> of(LoraSettings settings, Collection<String> adapted) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("peft_type", PEFT_TYPE);
    config.put("task_type", "CAUSAL_LM");
    config.put("r", settings.rank());
    config.put("lora_alpha", number(settings.alpha()));
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
    config.put("modules_to_save", settings.modulesToSave().isEmpty() ? null : settings.modulesToSave());
    config.put("layers_to_transform", settings.layersToTransform().isEmpty() ? null : settings.layersToTransform());
    Map<String, Object> rankPattern = new LinkedHashMap<>();
    settings.rankPattern().forEach((pattern, rank) -> rankPattern.put(pattern, (int) Math.round(rank)));
    config.put("rank_pattern", rankPattern);
    config.put("alpha_pattern", settings.alphaPattern());
    return config;
  }

  /**
   * The config of a PiSSA adapter converted to plain LoRA on the unchanged base, as PEFT's {@code save_pretrained}
   * writes it with {@code path_initial_model_for_weight_conversion}: twice the ranks, {@code init_lora_weights} true,
   * and alphas that keep each module's scaling (× 2, or × √2 under rsLoRA).
   */
  static Map<String, Object> converted(LoraSettings settings, Collection<String> adapted) {
    Map<String, Object> config = of(settings, adapted);
    config.put("r", 2 * settings.rank());
    config.put("lora_alpha", number(settings.useRslora() ? settings.alpha() * Math.sqrt(2) : 2 * settings.alpha()));
    config.put("init_lora_weights", true);
    Map<String, Object> rankPattern = new LinkedHashMap<>();
    settings.rankPattern().forEach((pattern, rank) -> rankPattern.put(pattern, 2 * (int) Math.round(rank)));
    config.put("rank_pattern", rankPattern);
    Map<String, Object> alphaPattern = new LinkedHashMap<>();
    settings.alphaPattern().forEach((pattern, a) -> alphaPattern.put(pattern, 2 * a));
    config.put("alpha_pattern", alphaPattern);
    return config;
  }

  /** An integral alpha as an int, as PEFT writes it (16, not 16.0). */
  private static Object number(double value) {
    return value == Math.rint(value) ? (Object) (int) value : value;
  }

  /**
   * The settings of the LoRA adapter a PEFT {@code adapter_config.json} describes (one PEFT or peft4j wrote), or
   * empty for another {@code peft_type}. Keys PEFT leaves null or empty keep their defaults.
   *
   * @throws UnsupportedFeatureException for a {@code pissa_niter_N} adapter, whose base cannot be rebuilt
   */
  static Optional<Map<String, Object>> settingsOf(Map<String, Object> config) {
    if (!PEFT_TYPE.equals(config.get("peft_type"))) {
      return Optional.empty();
    }
    Map<String, Object> settings = new LinkedHashMap<>();
    SETTINGS.forEach((peftKey, ours) -> {
      Object value = config.get(peftKey);
      if (value != null && !(value instanceof Map<?, ?> map && map.isEmpty())) {
        settings.put(ours, value);
      }
    });
    Object init = config.get("init_lora_weights");
    if (init instanceof String text && text.startsWith("pissa_niter_")) {
      throw new UnsupportedFeatureException("init_lora_weights " + text + " cannot be reloaded exactly (its "
          + "randomized decomposition of the base is not reproducible); use the plain LoRA adapter that "
          + "lora.pissa-convert = true (LLaMA-Factory: pissa_convert) writes in pissa_converted, or train with "
          + "lora.init = pissa");
    }
    if ("pissa".equals(init) || "gaussian".equals(init)) {
      // PiSSA's base keeps the residual of the decomposition, which re-running the initialisation rebuilds.
      settings.put("init", init);
    } else if (Boolean.TRUE.equals(init)) {
      settings.put("init", "default"); // the base as it is: no PiSSA residual under these weights
    }
    return Optional.of(settings);
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
