package dev.peft4j.method.lora;

import static dev.peft4j.api.rules.Condition.chosen;
import static dev.peft4j.api.rules.Condition.isSet;
import static dev.peft4j.api.rules.Condition.notChosen;
import static dev.peft4j.api.rules.Condition.setting;

import dev.peft4j.api.MethodCapability;
import dev.peft4j.api.MethodContext;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.config.Suggestions;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.plan.MethodPlan;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.api.rules.Condition.KindCount;
import dev.peft4j.api.rules.Condition.Op;
import dev.peft4j.api.rules.Rule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** LoRA and its variants (rsLoRA, DoRA, PiSSA, LoRA+, a 4-bit base). */
public final class LoraMethodFactory implements MethodFactory<LoraSettings> {

  public static final String ID = "lora";

  private static final String PISSA = "pissa.*";

  static final List<Rule> RULES = List.of(
      Rule.error("not-with-galore",
          "LoRA cannot be combined with GaLore: GaLore projects the gradients of the full weight matrices that "
              + "LoRA freezes. Choose one of them in methods",
          chosen(ID), chosen("galore")),
      Rule.error("not-with-badam",
          "LoRA cannot be combined with BAdam: BAdam trains blocks of full weights that LoRA freezes. "
              + "Choose one of them in methods",
          chosen(ID), chosen("badam")),
      Rule.error("not-with-selector",
          "LoRA decides itself what trains (its adapters, plus lora.modules-to-save): remove the selector "
              + "(full, freeze) from methods",
          chosen(ID), new KindCount(Set.of(MethodKind.SELECTOR), 1, Integer.MAX_VALUE)),
      Rule.error("loraplus-needs-lora",
          "lora.loraplus-lr-ratio is a LoRA+ option and LoRA is not chosen: add lora to methods or remove the setting",
          notChosen(ID), isSet("lora.loraplus-lr-ratio")),
      Rule.error("rslora-needs-lora",
          "lora.use-rslora is a LoRA option and LoRA is not chosen: add lora to methods or remove the setting",
          notChosen(ID), setting("lora.use-rslora", Op.EQUALS, true)),
      Rule.error("dora-needs-lora",
          "lora.use-dora is a LoRA option and LoRA is not chosen: add lora to methods or remove the setting",
          notChosen(ID), setting("lora.use-dora", Op.EQUALS, true)),
      Rule.error("pissa-needs-lora",
          "lora.init = pissa is a LoRA option and LoRA is not chosen: add lora to methods or remove the setting",
          notChosen(ID), setting("lora.init", Op.MATCHES, PISSA)),
      Rule.error("pissa-not-on-quantized-base",
          "PiSSA initialises from the SVD of full-precision weights and cannot start from a quantized base: "
              + "set model.quantization = none, or lora.init = default",
          chosen(ID), setting("lora.init", Op.MATCHES, PISSA), setting("model.quantization", Op.NOT_EQUALS, "none")),
      Rule.error("pissa-convert-needs-pissa",
          "lora.pissa-convert converts a PiSSA adapter and lora.init is not PiSSA: set lora.init = pissa (or "
              + "pissa_niter_N), or remove lora.pissa-convert",
          chosen(ID), setting("lora.pissa-convert", Op.EQUALS, true), setting("lora.init", Op.MATCHES, "default|true|gaussian")),
      Rule.error("pissa-convert-not-with-dora",
          "lora.pissa-convert cannot convert a DoRA adapter: its magnitude was learnt over the residual base, and "
              + "PEFT's conversion drops it. Remove lora.pissa-convert or lora.use-dora",
          chosen(ID), setting("lora.pissa-convert", Op.EQUALS, true), setting("lora.use-dora", Op.EQUALS, true)));

  @Override
  public MethodDescriptor descriptor() {
    return new MethodDescriptor(
        ID,
        Set.of(MethodKind.ADAPTER, MethodKind.OPTIMIZER_HOOK),
        MethodDescriptor.versionOf(LoraMethodFactory.class),
        "Low-rank adapters on linear layers (LoRA), with rsLoRA, DoRA, PiSSA, LoRA+ and a 4-bit base",
        Set.of(MethodCapability.QUANTIZED_BASE, MethodCapability.MERGES),
        RULES);
  }

  @Override
  public LoraSettings readSettings(SettingsReader reader) {
    return LoraSettings.read(reader);
  }

  /** Every name in {@code target}, {@code exclude-modules} and {@code layers-to-transform} must exist. */
  @Override
  public void check(LoraSettings settings, ModelInfo model, SettingsReader reader) {
    if (model.layerCount().isEmpty()) {
      return;
    }
    int layers = model.layerCount().getAsInt();
    List<String> modules = model.moduleNames();
    for (String name : settings.target().names()) {
      if (modules.stream().noneMatch(m -> ModuleNames.matches(m, name))) {
        List<String> shortNames = new ArrayList<>();
        model.linearModules().forEach(m -> shortNames.add(m.substring(m.lastIndexOf('.') + 1)));
        String hint = Suggestions.closest(name, shortNames).map(s -> "did you mean \"" + s + "\"? ").orElse("");
        reader.problem("target",
            "no module of this " + model.modelType() + " model is named \"" + name + "\": " + hint + "linear layers are "
                + String.join(", ", model.linearModules()) + " (and " + String.join(", ", model.otherModules()) + ")");
      }
    }
    for (String name : settings.excludeModules()) {
      if (modules.stream().noneMatch(m -> ModuleNames.matches(m, name))) {
        reader.problem("exclude-modules", "no module of this " + model.modelType() + " model is named \"" + name
            + "\"; linear layers are " + String.join(", ", model.linearModules()));
      }
    }
    checkModulesToSave(settings, model, reader);
    for (int index : settings.layersToTransform()) {
      if (index >= layers) {
        reader.problem("layers-to-transform",
            "layer " + index + " does not exist: the model has layers 0 to " + (layers - 1));
      }
    }
  }

  /**
   * Every name in {@code modules-to-save} must end the name of a module, as PEFT matches it. With tied embeddings
   * (no lm_head), PEFT trains a copy of embed_tokens for the input alone and leaves the output head the original;
   * training in place would change both, so that is refused.
   */
  private static void checkModulesToSave(LoraSettings settings, ModelInfo model, SettingsReader reader) {
    int layers = model.layerCount().getAsInt();
    int layersAt = model.layerPrefix().indexOf("layers.");
    String decoder = layersAt < 0 ? "" : model.layerPrefix().substring(0, layersAt);
    List<String> modules = new ArrayList<>(model.moduleNames());
    for (int i = 0; i < layers; i++) {
      modules.add(model.layerPrefix() + i);
      for (String m : model.layerModules()) {
        modules.add(model.layerModule(i, m));
      }
    }
    model.otherModules().forEach(m -> modules.add(m.equals("lm_head") ? m : decoder + m));
    boolean tied = !model.otherModules().contains("lm_head");
    for (String name : settings.modulesToSave()) {
      List<String> matched = modules.stream().filter(m -> m.endsWith(name)).toList();
      if (matched.isEmpty()) {
        reader.problem("modules-to-save", "no module of this " + model.modelType() + " model is named \"" + name
            + "\": modules are " + String.join(", ", model.otherModules()) + " and, in every layer, "
            + String.join(", ", model.layerModules()) + ", " + String.join(", ", model.linearModules()));
      } else if (tied && matched.stream().anyMatch(m -> m.endsWith("embed_tokens"))) {
        reader.problem("modules-to-save", "\"" + name + "\" names embed_tokens, which this model ties to its output "
            + "head (tie_word_embeddings): PEFT trains a copy for the input alone, which peft4j does not do. Remove "
            + "it, or train the whole model (methods = [full])");
      }
    }
  }

  @Override
  public PeftMethod create(LoraSettings settings, MethodContext context) {
    return new LoraAdapter(settings, context);
  }

  /** A LoRA adapter's settings from its {@code adapter_config.json} ({@code peft_type} LORA): see {@link PeftConfig#settingsOf}. */
  @Override
  public Optional<Map<String, Object>> settingsOfAdapter(Map<String, Object> adapterConfig) {
    return PeftConfig.settingsOf(adapterConfig);
  }

  /** The adapters {@code apply} would add, the biases it would unfreeze, and what its layers keep; see {@link LoraPlan}. */
  @Override
  public Optional<MethodPlan> plan(LoraSettings settings, ModelShape model) {
    return Optional.of(LoraPlan.of(settings, model));
  }
}
