package dev.peft4j.method.galore;

import dev.peft4j.api.plan.LinearShape;
import dev.peft4j.api.plan.MethodPlan;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.api.plan.OptimizerCost;
import dev.peft4j.api.plan.ParameterShape;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * GaLore's plan, as galore-torch keeps its state: for each trainable 2-D weight of a targeted linear
 * layer ({@code m × n}), Adam's two moments in the projected gradient's shape and the projector; every
 * other trainable parameter trains with plain AdamW (no cost stated here: the runtime prices it).
 *
 * <p>Projected shapes ({@code std}, the default): {@code m ≥ n} projects on the right, R is {@code m×r}
 * and the projector {@code r×n}; {@code m < n} on the left, R is {@code r×n} and the projector {@code
 * m×r}. {@code reverse_std} swaps the two, {@code right} and {@code left} always take that side, {@code
 * full} projects both sides (R {@code r×r}, projectors {@code m×r} and {@code r×n}).
 *
 * <p>Scratch per projected weight: the projected gradient and Adam's temporaries in its shape (about
 * 9 × R), and the update projected back and scaled (2 × m×n). Not priced: the SVD that recomputes the
 * projector at steps 0, T, 2T… (its memory depends on the decomposition's implementation).
 */
final class GalorePlan {

  private GalorePlan() {}

  static MethodPlan of(GaloreSettings settings, ModelShape model) {
    MethodPlan.Builder plan = MethodPlan.builder();
    Map<String, ParameterShape> parameters = model.byName();
    Map<String, OptimizerCost> costs = new LinkedHashMap<>();
    long projected = 0;
    long state = 0;
    long adamState = 0;
    int count = 0;
    for (LinearShape linear : model.linearLayers()) {
      ParameterShape weight = parameters.get(linear.weightName());
      if (weight == null || !weight.trainable() || weight.shape().size() != 2 || !targeted(settings, linear.name())) {
        continue;
      }
      long m = weight.shape().get(0);
      long n = weight.shape().get(1);
      long r = Math.min(settings.rank(), Math.min(m, n));
      long projectedValues;
      long projector;
      switch (settings.projType()) {
        case FULL -> {
          projectedValues = r * r;
          projector = m * r + r * n;
        }
        default -> {
          boolean right = switch (settings.projType()) {
            case STD -> m >= n;
            case REVERSE_STD -> m < n;
            case RIGHT -> true;
            default -> false;
          };
          projectedValues = right ? m * r : r * n;
          projector = right ? r * n : m * r;
        }
      }
      OptimizerCost cost = new OptimizerCost(m * n, 2 * projectedValues + projector, 9 * projectedValues + 2 * m * n);
      costs.put(weight.name(), cost);
      projected += m * n;
      state += cost.stateValues();
      adamState += 2 * m * n;
      count++;
    }
    if (settings.layerwise()) {
      // Layer-wise: the runtime steps a stage's parameters (the embeddings, a decoder layer, the head) as soon as
      // the backward pass has completed their gradients and frees those, so the gradients of one stage exist at a
      // time: the largest stage's are kept in the price, every other trainable one's are not. Parameters GaLore
      // does not project step with Adam as the runtime's AdamW does (2 moments, ~8 values of scratch per value).
      Set<String> kept = largestStage(model);
      for (ParameterShape p : model.trainable()) {
        OptimizerCost cost = costs.getOrDefault(p.name(), new OptimizerCost(p.size(), 2 * p.size(), 8 * p.size()));
        costs.put(p.name(), kept.contains(p.name()) ? cost : new OptimizerCost(0, cost.stateValues(), cost.scratchValues()));
      }
    }
    costs.forEach(plan::cost);
    plan.note(String.format(Locale.ROOT,
        "%d weights (%,d values) get rank-%d projected gradients (%s): optimizer state %,d values instead of "
            + "AdamW's %,d; the SVD at steps 0, %d, %d… is not priced",
        count, projected, settings.rank(), settings.projType().name().toLowerCase(Locale.ROOT), state, adamState,
        settings.updateInterval(), 2 * settings.updateInterval()));
    if (settings.layerwise()) {
      plan.note("layer-wise: gradients are freed as soon as each stage (the embeddings, a decoder layer, the head) "
          + "steps; priced as the largest stage's gradients");
    }
    if (count == 0) {
      plan.note("no trainable weight of a targeted linear layer: GaLore projects nothing");
    }
    return plan.build();
  }

  /** LLaMA-Factory's galore_target: "all" is every linear layer but the output head; a name matches as a substring. */
  static boolean targeted(GaloreSettings settings, String module) {
    for (String target : settings.target()) {
      if (target.equals(GaloreSettings.ALL) ? !module.equals("lm_head") : module.contains(target)) {
        return true;
      }
    }
    return false;
  }

  /** The trainable parameters of the stage that holds the most trainable values: the embeddings, a layer, the head. */
  static Set<String> largestStage(ModelShape model) {
    Function<ParameterShape, String> stage = p -> p.layerIndex().isPresent() ? "layer " + p.layerIndex().getAsInt()
        : p.belowLayers() ? "embeddings" : "head";
    Map<String, Long> sizes = model.trainable().stream()
        .collect(Collectors.groupingBy(stage, Collectors.summingLong(ParameterShape::size)));
    return sizes.entrySet().stream().max(Map.Entry.comparingByValue())
        .map(largest -> model.trainable().stream().filter(p -> stage.apply(p).equals(largest.getKey()))
            .map(ParameterShape::name).collect(Collectors.toSet()))
        .orElse(Set.of());
  }
}
