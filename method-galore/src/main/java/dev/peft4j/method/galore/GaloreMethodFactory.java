package dev.peft4j.method.galore;

import static dev.peft4j.api.rules.Condition.chosen;
import static dev.peft4j.api.rules.Condition.setting;

import dev.peft4j.api.MethodCapability;
import dev.peft4j.api.MethodContext;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.plan.MethodPlan;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.api.rules.Condition.Op;
import dev.peft4j.api.rules.Rule;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** GaLore: Adam on low-rank projections of the gradients of full weight matrices. */
public final class GaloreMethodFactory implements MethodFactory<GaloreSettings> {

  public static final String ID = "galore";

  static final List<Rule> RULES = List.of(
      Rule.error("layerwise-without-accumulation",
          "layer-wise GaLore steps each parameter as soon as its gradient is ready, so gradients cannot "
              + "accumulate: set training.gradient-accumulation-steps = 1 or galore.layerwise = false",
          chosen(ID), setting("galore.layerwise", Op.EQUALS, true),
          setting("training.gradient-accumulation-steps", Op.GREATER_THAN, 1)),
      Rule.error("layerwise-single-device",
          "layer-wise GaLore does not support training on several devices: set training.devices = 1 "
              + "or galore.layerwise = false",
          chosen(ID), setting("galore.layerwise", Op.EQUALS, true), setting("training.devices", Op.GREATER_THAN, 1)),
      Rule.warning("layerwise-no-clipping",
          "layer-wise GaLore steps each layer as soon as its gradients exist, before the global gradient norm is "
              + "known, so gradients are not clipped and training.max-grad-norm is ignored (in LLaMA-Factory too): set "
              + "training.max-grad-norm = 0 to silence this warning, or galore.layerwise = false to clip",
          chosen(ID), setting("galore.layerwise", Op.EQUALS, true), setting("training.max-grad-norm", Op.GREATER_THAN, 0)));

  @Override
  public MethodDescriptor descriptor() {
    return new MethodDescriptor(
        ID,
        Set.of(MethodKind.OPTIMIZER_HOOK),
        MethodDescriptor.versionOf(GaloreMethodFactory.class),
        "Gradient low-rank projection (GaLore): full-parameter training with low-rank optimizer state",
        Set.of(MethodCapability.REPLACES_OPTIMIZER),
        RULES);
  }

  @Override
  public GaloreSettings readSettings(SettingsReader reader) {
    return GaloreSettings.read(reader);
  }

  /** A target name must occur in the name of some linear layer (LLaMA-Factory matches by substring). */
  @Override
  public void check(GaloreSettings settings, ModelInfo model, SettingsReader reader) {
    for (String target : settings.target()) {
      if (!target.equals(GaloreSettings.ALL) && model.linearModules().stream().noneMatch(m -> m.contains(target))) {
        reader.problem("target", "no linear layer of this " + model.modelType() + " model has \"" + target
            + "\" in its name; use all, or parts of: " + String.join(", ", model.linearModules()));
      }
    }
  }

  @Override
  public PeftMethod create(GaloreSettings settings, MethodContext context) {
    return new GaloreOptimizer(settings, context);
  }

  /** Optimizer state in the projected shapes; see {@link GalorePlan}. */
  @Override
  public Optional<MethodPlan> plan(GaloreSettings settings, ModelShape model) {
    return Optional.of(GalorePlan.of(settings, model));
  }
}
