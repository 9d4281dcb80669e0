package dev.peft4j.plugins.ia3;

import static dev.peft4j.api.rules.Condition.chosen;

import dev.peft4j.api.MethodCapability;
import dev.peft4j.api.MethodContext;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.config.Suggestions;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.plan.LinearShape;
import dev.peft4j.api.plan.MethodPlan;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.api.plan.ParameterShape;
import dev.peft4j.api.rules.Condition.CapabilityCount;
import dev.peft4j.api.rules.Condition.KindCount;
import dev.peft4j.api.rules.Rule;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * IA³: a learned vector per targeted linear layer that rescales its output (attention keys and values) or, for
 * feed-forward layers, its input. Only the vectors train; they start at one, so the model starts unchanged.
 *
 * <p>The runtime's own rules already refuse IA³ with a second adapter ({@code core/one-adapter}) and on a 4-bit
 * base (IA³ does not declare {@link MethodCapability#QUANTIZED_BASE}); IA³'s rules add the rest.
 */
public final class Ia3MethodFactory implements MethodFactory<Ia3Settings> {

  public static final String ID = "ia3";

  static final List<Rule> RULES = List.of(
      Rule.error("not-with-selector",
          "IA³ decides itself what trains (its scaling vectors): remove the selector (full, freeze) from methods",
          chosen(ID), new KindCount(Set.of(MethodKind.SELECTOR), 1, Integer.MAX_VALUE)),
      Rule.error("not-with-optimizer-replacement",
          "IA³ trains only its scaling vectors, and a method that replaces the optimizer (GaLore, BAdam) works on "
              + "the full weight matrices IA³ freezes: choose one of them in methods",
          chosen(ID), new CapabilityCount(MethodCapability.REPLACES_OPTIMIZER, 1, Integer.MAX_VALUE)));

  /** PEFT's adapter_config.json keys and the settings they set (PEFT writes null for an unset one: the default stays). */
  private static final Map<String, String> PEFT_KEYS = Map.of(
      "target_modules", "target", "feedforward_modules", "feedforward-modules", "exclude_modules", "exclude-modules");

  @Override
  public MethodDescriptor descriptor() {
    return new MethodDescriptor(
        ID,
        Set.of(MethodKind.ADAPTER),
        MethodDescriptor.versionOf(Ia3MethodFactory.class),
        "IA³: learned vectors that rescale the keys, values and feed-forward inputs (an example plugin)",
        Set.of(MethodCapability.MERGES),
        RULES);
  }

  @Override
  public Ia3Settings readSettings(SettingsReader reader) {
    return Ia3Settings.read(reader);
  }

  /** Every name in {@code target} and {@code exclude-modules} must name a module of the model. */
  @Override
  public void check(Ia3Settings settings, ModelInfo model, SettingsReader reader) {
    if (model.layerCount().isEmpty()) {
      return;
    }
    List<String> modules = model.moduleNames();
    List<String> shortNames = model.linearModules().stream().map(m -> m.substring(m.lastIndexOf('.') + 1)).toList();
    for (String name : settings.target().names()) {
      if (modules.stream().noneMatch(m -> Modules.ofNames(List.of(name)).matches(m, false))) {
        String hint = Suggestions.closest(name, shortNames).map(s -> "did you mean \"" + s + "\"? ").orElse("");
        reader.problem("target", "no module of this " + model.modelType() + " model is named \"" + name + "\": "
            + hint + "linear layers are " + String.join(", ", model.linearModules()));
      }
    }
    for (String name : settings.excludeModules()) {
      if (modules.stream().noneMatch(m -> Modules.ofNames(List.of(name)).matches(m, false))) {
        reader.problem("exclude-modules", "no module of this " + model.modelType() + " model is named \"" + name
            + "\"; linear layers are " + String.join(", ", model.linearModules()));
      }
    }
  }

  @Override
  public PeftMethod create(Ia3Settings settings, MethodContext context) {
    return new Ia3Adapter(settings, context);
  }

  /**
   * The settings of an IA³ adapter from its {@code adapter_config.json}, as {@link Ia3Adapter#state()} and PEFT
   * write it, so that {@code generate}, {@code evaluate} and {@code merge --adapter DIR} can rebuild it.
   */
  @Override
  public Optional<Map<String, Object>> settingsOfAdapter(Map<String, Object> adapterConfig) {
    if (!Ia3Adapter.PEFT_TYPE.equals(adapterConfig.get("peft_type"))) {
      return Optional.empty();
    }
    Map<String, Object> settings = new LinkedHashMap<>();
    PEFT_KEYS.forEach((peftKey, key) -> {
      if (adapterConfig.get(peftKey) != null) {
        settings.put(key, adapterConfig.get(peftKey));
      }
    });
    return Optional.of(settings);
  }

  /**
   * The vectors {@link Ia3Adapter#apply} adds, from shapes alone: one per adapted linear layer, trainable, named
   * as {@code addParameters} names it. Nothing else trains, and the runtime's AdamW updates the vectors.
   */
  @Override
  public Optional<MethodPlan> plan(Ia3Settings settings, ModelShape model) {
    MethodPlan.Builder plan = MethodPlan.builder();
    int adapted = 0;
    long values = 0;
    for (LinearShape linear : model.linearLayers()) {
      if (!settings.adapts(linear.name())) {
        continue;
      }
      String name = linear.name() + "." + Ia3Adapter.VECTOR;
      ParameterShape vector = settings.scalesInput(linear.name())
          ? ParameterShape.trainable(name, linear.layerIndex(), 1, linear.inFeatures())
          : ParameterShape.trainable(name, linear.layerIndex(), linear.outFeatures(), 1);
      plan.add(vector);
      // Ia3Layer keeps, per token, the scaled input (or output) it makes, and per pass the flattened vector.
      plan.activations(vector.size(), vector.size());
      adapted++;
      values += vector.size();
    }
    if (adapted == 0) {
      throw Ia3Adapter.nothingToAdapt();
    }
    plan.note(String.format(Locale.ROOT, "%d linear layers scaled: %,d vector values", adapted, values));
    return Optional.of(plan.build());
  }
}
