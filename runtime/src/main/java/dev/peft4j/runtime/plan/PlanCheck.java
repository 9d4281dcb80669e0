package dev.peft4j.runtime.plan;

import dev.peft4j.api.model.ModelView;
import dev.peft4j.api.model.ParameterView;
import dev.peft4j.api.plan.ParameterShape;
import dev.peft4j.runtime.setup.MethodSetup;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Whether a plan is what the methods did: compares the parameters a {@link RunPlan} ends with (names, shapes,
 * trainable flags) and its PEFT line with those of a model the same methods were created for and applied to.
 * The plugin test kit runs it on every method that plans, and the runtime's tests on the built-in ones.
 */
public final class PlanCheck {

  private PlanCheck() {}

  /**
   * Where {@code applied} differs from {@code plan}, one line per parameter (planned but missing, present but
   * not planned, or of another shape or trainable flag) and one for PEFT's line; empty when they agree. A
   * 4-bit weight (stored as packed bytes) is compared by its number of values.
   *
   * @throws IllegalArgumentException when a method of the plan cannot be priced (there is nothing to compare)
   */
  public static List<String> differences(RunPlan plan, ModelView applied) {
    if (!plan.priced()) {
      throw new IllegalArgumentException("a method of the run cannot be priced: " + plan.methods());
    }
    Set<String> quantized = MemoryModel.quantizedWeights(plan.shape());
    Map<String, String> planned = new TreeMap<>();
    for (ParameterShape p : plan.shape().parameters()) {
      planned.put(p.name(), (quantized.contains(p.name()) ? "nf4, " + p.size() + " values" : p.shape().toString())
          + (p.trainable() ? " trainable" : " frozen"));
    }
    Map<String, String> actual = new TreeMap<>();
    for (ParameterView p : applied.parameters()) {
      actual.put(p.name(), (MethodSetup.isPacked(p) ? "nf4, " + MethodSetup.values(p) + " values"
          : Arrays.toString(p.data().getShape().getShape())) + (p.trainable() ? " trainable" : " frozen"));
    }

    List<String> differences = new ArrayList<>();
    Set<String> names = new TreeSet<>(planned.keySet());
    names.addAll(actual.keySet());
    for (String name : names) {
      String want = planned.get(name);
      String got = actual.get(name);
      if (got == null) {
        differences.add(name + ": planned (" + want + "), but the model after apply has no such parameter");
      } else if (want == null) {
        differences.add(name + ": in the model after apply (" + got + "), but not planned");
      } else if (!want.equals(got)) {
        differences.add(name + ": planned " + want + ", after apply " + got);
      }
    }
    String plannedLine = plan.counts().orElseThrow().peftLine();
    String appliedLine = MethodSetup.trainableLine(applied);
    if (!plannedLine.equals(appliedLine)) {
      differences.add("PEFT's line: planned \"" + plannedLine + "\", after apply \"" + appliedLine + "\"");
    }
    return differences;
  }
}
