package dev.peft4j.api.plan;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apiguardian.api.API;

/**
 * What a method does to a run, priced without weights: the parameters it adds, the existing ones it
 * makes trainable, and what its optimizer holds. It must describe what {@code create(...).apply}
 * really does — the plugin test kit compares the two — so that the planner's counts equal the run's.
 *
 * @param added parameters the method adds to the model (an adapter's), under the names {@code
 *     ModelView.addParameters} gives them ({@code module + "." + key}), with whether each trains
 * @param trainable names of existing parameters the method makes trainable (a selector's choice,
 *     LoRA's biases); added parameters say it themselves
 * @param optimizer for parameters whose update the method owns or changes (GaLore, BAdam), what the
 *     optimizer holds for them at the peak of a step
 * @param activationValuesPerToken values the method's forward pass keeps for the backward pass, per
 *     token of a micro-batch (LoRA: the branch's outputs); the runtime prices its own model's
 * @param activationValuesPerPass values the method's forward pass keeps regardless of the number of
 *     tokens, once per micro-batch (DoRA: its weight norms and the scales made from them)
 * @param notes lines the planner prints under the method (say what was assumed)
 */
@API(status = EXPERIMENTAL, since = "0.2")
public record MethodPlan(
    List<ParameterShape> added,
    Set<String> trainable,
    Map<String, OptimizerCost> optimizer,
    long activationValuesPerToken,
    long activationValuesPerPass,
    List<String> notes) {

  public MethodPlan {
    if (activationValuesPerToken < 0 || activationValuesPerPass < 0) {
      throw new IllegalArgumentException("activation values cannot be negative");
    }
    added = List.copyOf(Objects.requireNonNull(added, "added is null"));
    trainable = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(trainable));
    optimizer = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(optimizer));
    notes = List.copyOf(notes);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Collects a plan in the order the method works. */
  public static final class Builder {
    private final List<ParameterShape> added = new ArrayList<>();
    private final Set<String> trainable = new LinkedHashSet<>();
    private final Map<String, OptimizerCost> optimizer = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private long activationValuesPerToken;
    private long activationValuesPerPass;

    public Builder add(ParameterShape parameter) {
      added.add(parameter);
      return this;
    }

    public Builder train(String existingParameter) {
      trainable.add(existingParameter);
      return this;
    }

    public Builder cost(String parameter, OptimizerCost cost) {
      optimizer.put(parameter, cost);
      return this;
    }

    /** Adds activation values the forward pass keeps: per token of a micro-batch, and per micro-batch. */
    public Builder activations(long perToken, long perPass) {
      activationValuesPerToken = Math.addExact(activationValuesPerToken, perToken);
      activationValuesPerPass = Math.addExact(activationValuesPerPass, perPass);
      return this;
    }

    public Builder note(String line) {
      notes.add(line);
      return this;
    }

    public MethodPlan build() {
      return new MethodPlan(added, trainable, optimizer, activationValuesPerToken, activationValuesPerPass, notes);
    }
  }
}
