package dev.peft4j.method.badam;

import static dev.peft4j.api.rules.Condition.chosen;
import static dev.peft4j.api.rules.Condition.notChosen;
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
import dev.peft4j.api.rules.Condition.Fact;
import dev.peft4j.api.rules.Condition.Op;
import dev.peft4j.api.rules.Condition.RuntimeFact;
import dev.peft4j.api.rules.Rule;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** BAdam: Adam on one block of parameters at a time. */
public final class BadamMethodFactory implements MethodFactory<BadamSettings> {

  public static final String ID = "badam";

  static final List<Rule> RULES = List.of(
      Rule.error("needs-full",
          "BAdam trains every weight, one block at a time: it needs the full selector. Use methods = [full, badam]",
          chosen(ID), notChosen("full")),
      Rule.error("ratio-single-device",
          "BAdam's ratio mode works on a single device only: set training.devices = 1 or badam.mode = layer",
          chosen(ID), setting("badam.mode", Op.EQUALS, "ratio"), setting("training.devices", Op.GREATER_THAN, 1)),
      Rule.error("pure-bf16-where-supported",
          "BAdam is designed for pure bf16 weights (only the active block in fp32), and this device computes bf16 "
              + "natively: set training.precision = bf16 or auto",
          chosen(ID), setting("training.precision", Op.EQUALS, "fp32"),
          new Fact(RuntimeFact.DEVICE_SUPPORTS_BF16, true)),
      Rule.warning("no-bf16-on-device",
          "this device does not compute bf16 natively, so BAdam keeps fp32 weights unless training.precision = bf16"
              + " (emulated, slow): expect about twice the weight memory of the BAdam paper's 2·M + 16·M/D",
          chosen(ID), setting("training.precision", Op.NOT_EQUALS, "bf16"),
          new Fact(RuntimeFact.DEVICE_SUPPORTS_BF16, false)));

  @Override
  public MethodDescriptor descriptor() {
    return new MethodDescriptor(
        ID,
        Set.of(MethodKind.OPTIMIZER_HOOK),
        MethodDescriptor.versionOf(BadamMethodFactory.class),
        "Block-coordinate Adam (BAdam): full-parameter training, one block of layers at a time",
        Set.of(MethodCapability.REPLACES_OPTIMIZER),
        RULES);
  }

  @Override
  public BadamSettings readSettings(SettingsReader reader) {
    return BadamSettings.read(reader);
  }

  /** The start block must exist: blocks are the decoder layers, plus the embedding and head if asked. */
  @Override
  public void check(BadamSettings settings, ModelInfo model, SettingsReader reader) {
    if (settings.startBlock().isEmpty() || model.layerCount().isEmpty()) {
      return;
    }
    int blocks = model.layerCount().getAsInt()
        + (settings.includeEmbedding() ? 1 : 0) + (settings.includeLmHead() ? 1 : 0);
    if (settings.startBlock().getAsInt() >= blocks) {
      reader.problem("start-block", "block " + settings.startBlock().getAsInt() + " does not exist: this model has "
          + blocks + " blocks (0 to " + (blocks - 1) + ")");
    }
  }

  @Override
  public PeftMethod create(BadamSettings settings, MethodContext context) {
    return settings.mode() == BadamSettings.Mode.LAYER ? new LayerModeHook(settings, context)
        : new RatioModeHook(settings, context);
  }

  /** Gradients and Adam state for the largest block only (layer mode), or for the masked entries (ratio mode); see {@link BadamPlan}. */
  @Override
  public Optional<MethodPlan> plan(BadamSettings settings, ModelShape model) {
    return Optional.of(BadamPlan.of(settings, model));
  }
}
