package dev.peft4j.runtime.rules;

import static dev.peft4j.api.rules.Condition.isSet;
import static dev.peft4j.api.rules.Condition.setting;

import dev.peft4j.api.MethodCapability;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.rules.Condition.CapabilityCount;
import dev.peft4j.api.rules.Condition.Fact;
import dev.peft4j.api.rules.Condition.KindCount;
import dev.peft4j.api.rules.Condition.Op;
import dev.peft4j.api.rules.Condition.RuntimeFact;
import dev.peft4j.api.rules.Rule;
import java.util.List;
import java.util.Set;

/** The rules the runtime itself declares: about kinds and capabilities, so that they hold for third-party methods too. */
public final class CoreRules {

  /** The name violations of these rules are declared by. */
  public static final String DECLARED_BY = "core";

  private static final int MANY = Integer.MAX_VALUE;

  public static final List<Rule> RULES = List.of(
      Rule.error("something-trains",
          "no chosen method decides what trains: add an adapter (lora) or a selector (full, freeze) to methods",
          new KindCount(Set.of(MethodKind.ADAPTER, MethodKind.SELECTOR), 0, 0)),
      Rule.error("one-adapter",
          "a run trains one adapter at a time: keep one adapter method in methods",
          new KindCount(Set.of(MethodKind.ADAPTER), 2, MANY)),
      Rule.error("one-selector",
          "selectors decide what trains and contradict each other: keep one of them in methods",
          new KindCount(Set.of(MethodKind.SELECTOR), 2, MANY)),
      Rule.error("one-optimizer",
          "two methods that replace the optimizer (such as GaLore and BAdam) cannot be combined: keep one",
          new CapabilityCount(MethodCapability.REPLACES_OPTIMIZER, 2, MANY)),
      Rule.error("quantized-base-needs-adapter",
          "a quantized base model is frozen and trains only through an adapter that supports it (lora): "
              + "add lora to methods or set model.quantization = none",
          setting("model.quantization", Op.NOT_EQUALS, "none"),
          new CapabilityCount(MethodCapability.QUANTIZED_BASE, 0, 0)),
      Rule.error("adapter-path-needs-adapter",
          "model.adapter-path loads an existing adapter, which needs an adapter method (lora) in methods",
          isSet("model.adapter-path"), new KindCount(Set.of(MethodKind.ADAPTER), 0, 0)),
      Rule.warning("bf16-without-native-support",
          "training.precision = bf16 on a device that does not compute bf16 natively (a CUDA GPU of compute "
              + "capability 8.0 or newer, a CPU with AVX512-BF16 or AMX-BF16) works, emulated and slower than fp32: "
              + "set training.precision = auto or fp32",
          setting("training.precision", Op.EQUALS, "bf16"), new Fact(RuntimeFact.DEVICE_SUPPORTS_BF16, false)));

  private CoreRules() {}
}
