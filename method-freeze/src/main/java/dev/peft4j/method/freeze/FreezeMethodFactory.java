package dev.peft4j.method.freeze;

import static dev.peft4j.api.rules.Condition.chosen;

import dev.peft4j.api.MethodContext;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.plan.MethodPlan;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.api.plan.ParameterShape;
import dev.peft4j.api.rules.Condition.Fact;
import dev.peft4j.api.rules.Condition.RuntimeFact;
import dev.peft4j.api.rules.Rule;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Freeze tuning: only some decoder layers (and named extra modules) train. */
public final class FreezeMethodFactory implements MethodFactory<FreezeSettings> {

  public static final String ID = "freeze";

  static final List<Rule> RULES = List.of(
      Rule.error("needs-layer-count",
          "Freeze chooses layers by their index and needs to know how many the model has: its config.json must "
              + "state num_hidden_layers",
          chosen(ID), new Fact(RuntimeFact.MODEL_LAYER_COUNT_KNOWN, false)));

  @Override
  public MethodDescriptor descriptor() {
    return new MethodDescriptor(
        ID,
        Set.of(MethodKind.SELECTOR),
        MethodDescriptor.versionOf(FreezeMethodFactory.class),
        "Freeze tuning: the last (or first) n decoder layers train, everything else is frozen",
        Set.of(),
        RULES);
  }

  @Override
  public FreezeSettings readSettings(SettingsReader reader) {
    return FreezeSettings.read(reader);
  }

  /** Layer count and module names must exist in the model; an unknown name lists the names that do. */
  @Override
  public void check(FreezeSettings settings, ModelInfo model, SettingsReader reader) {
    model.layerCount().ifPresent(layers -> {
      if (Math.abs(settings.trainableLayers()) > layers) {
        reader.problem("trainable-layers", "asks for " + Math.abs(settings.trainableLayers())
            + " layers but the model has " + layers);
      }
    });
    for (String module : settings.trainableModules()) {
      if (!module.equals(FreezeSettings.ALL) && !model.layerModules().contains(module)) {
        reader.problem("trainable-modules", "module \"" + module + "\" is not in the decoder layers of this "
            + model.modelType() + " model; choose from: all, " + String.join(", ", model.layerModules()));
      }
    }
    for (String module : settings.extraModules()) {
      if (!model.otherModules().contains(module)) {
        reader.problem("extra-modules", "module \"" + module + "\" is not outside the decoder layers of this "
            + model.modelType() + " model; choose from: " + String.join(", ", model.otherModules()));
      }
    }
  }

  @Override
  public PeftMethod create(FreezeSettings settings, MethodContext context) {
    return new FreezeSelector(settings);
  }

  /** The parameters {@link FreezeSelector} chooses, by the same rule; priced as the runtime's AdamW. */
  @Override
  public Optional<MethodPlan> plan(FreezeSettings settings, ModelShape model) {
    if (model.info().layerCount().isEmpty()) {
      return Optional.empty();
    }
    MethodPlan.Builder plan = MethodPlan.builder();
    int layers = model.info().layerCount().getAsInt();
    java.util.Set<String> chosen = FreezeSelector.choose(settings, layers, model.parameters(), ParameterShape::name,
        ParameterShape::layerIndex);
    chosen.forEach(plan::train);
    FreezeSelector.Layers range = FreezeSelector.Layers.of(settings, layers);
    int from = range.from();
    int to = range.to() - 1;
    plan.note("layers " + (from == to ? String.valueOf(from) : from + "-" + to) + " (" + String.join(", ", settings.trainableModules())
        + ")" + (settings.extraModules().isEmpty() ? "" : " and " + String.join(", ", settings.extraModules()))
        + " train: " + chosen.size() + " tensors");
    return Optional.of(plan.build());
  }
}
