package dev.peft4j.method.lora;

import dev.peft4j.api.Peft4jException;
import dev.peft4j.api.plan.LinearShape;
import dev.peft4j.api.plan.MethodPlan;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.api.plan.ParameterShape;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * LoRA's plan: the parameters {@link LoraAdapter#apply} adds (same targets, ranks, names and order),
 * the biases it unfreezes, and what its layers keep for the backward pass ({@link LoraLayer#forward}).
 */
final class LoraPlan {

  private LoraPlan() {}

  static MethodPlan of(LoraSettings settings, ModelShape model) {
    LoraTargets targets = new LoraTargets(settings);
    MethodPlan.Builder plan = MethodPlan.builder();
    Set<String> adapted = new HashSet<>();
    long adapters = 0;
    for (LinearShape linear : model.linearLayers()) {
      String name = linear.name();
      if (!targets.targets(name, linear.layerIndex(), name.equals("lm_head"))) {
        continue;
      }
      int rank = targets.rank(name);
      long in = linear.inFeatures();
      long out = linear.outFeatures();
      if (settings.useDora()) {
        plan.add(ParameterShape.trainable(name + ".lora_magnitude_vector", linear.layerIndex(), out));
      }
      plan.add(ParameterShape.trainable(name + ".lora_A.weight", linear.layerIndex(), rank, in));
      plan.add(ParameterShape.trainable(name + ".lora_B.weight", linear.layerIndex(), out, rank));
      adapted.add(name);
      adapters += rank * (in + out) + (settings.useDora() ? out : 0);
      // Kept per token for the backward pass (float32 values): A·x and the input the branch multiplies by A (in a bf16
      // run its float32 copy; in fp32 the base's input, which a frozen base does not keep otherwise); with dropout
      // its output and its mask (one byte a value); DoRA: the base result and the update it scales, each of the
      // output's size.
      long perToken = rank + in + (settings.dropout() > 0 ? in + (in + 3) / 4 : 0) + (settings.useDora() ? out * model.computeBytes() / 4 + out : 0);
      // Per pass, DoRA's weight norm and the scales made from it (the output's size each). The norm's temporaries,
      // of the weight's size, are detached from the output and closed with their layer's stage when it returns
      // (bench/plan-check: pricing them for every layer put DoRA 10-14 % over its measured peak).
      long perPass = settings.useDora() ? 4 * out : 0;
      plan.activations(perToken, perPass);
    }
    if (adapted.isEmpty()) {
      throw new Peft4jException(LoraTargets.NOTHING_ADAPTED);
    }
    Set<String> quantized = new HashSet<>();
    model.linearLayers().stream().filter(LinearShape::quantized).forEach(l -> quantized.add(l.name()));
    long saved = 0;
    for (ParameterShape parameter : model.parameters()) {
      if (LoraTargets.trainsInPlace(settings, parameter.name(), adapted::contains, quantized)) {
        plan.train(parameter.name());
      }
      saved += LoraTargets.savesWhole(settings, parameter.name()) ? parameter.size() : 0;
    }
    plan.note(String.format(Locale.ROOT, "%d linear layers adapted%s: %,d adapter parameters",
        adapted.size(), settings.useDora() ? " with DoRA magnitudes" : "", adapters));
    if (saved > 0) {
      plan.note(String.format(Locale.ROOT, "lora.modules-to-save %s trains %,d parameters in place; PEFT keeps their "
          + "originals beside its trained copies, and its all params counts them twice (%,d more)",
          settings.modulesToSave(), saved, saved));
    }
    if (settings.pissaConvert()) {
      plan.note(String.format(Locale.ROOT, "pissa-convert keeps PiSSA's initial A and B (%,d float32 values, not priced "
          + "above) to write pissa_converted", adapters));
    }
    return plan.build();
  }
}
