package dev.peft4j.tck.broken;

import static dev.peft4j.api.rules.Condition.chosen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.api.AdapterMethod;
import dev.peft4j.api.AdapterState;
import dev.peft4j.api.ApiVersion;
import dev.peft4j.api.MethodCapability;
import dev.peft4j.api.MethodContext;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.MethodProvider;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.api.model.LinearView;
import dev.peft4j.api.model.ModelView;
import dev.peft4j.api.model.ParameterView;
import dev.peft4j.api.plan.LinearShape;
import dev.peft4j.api.plan.MethodPlan;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.api.plan.ParameterShape;
import dev.peft4j.api.rules.Condition.KindCount;
import dev.peft4j.api.rules.Rule;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A plugin for testing the kit: method {@code broken}, a vector that scales the output of every {@code v_proj},
 * correct unless its one setting, {@code defect}, names a way to break the contract. KitSelfTest packs these
 * classes into a plugin jar (they are not registered on the test classpath) and runs the kit on it.
 */
public final class BrokenProvider implements MethodProvider {

  /** The ways to break the contract. */
  public enum Defect { NONE, LEAK, CHANGES_INIT, UNSAVED, NO_LOAD, MISSING_MERGE, MOVES_FROZEN, PLAN_LIES, UNPRICED }

  public BrokenProvider() {}

  @Override
  public String apiVersion() {
    return ApiVersion.CURRENT;
  }

  @Override
  public List<MethodFactory<?>> methods() {
    return List.of(new Factory());
  }

  public record Settings(Defect defect) {}

  static final class Factory implements MethodFactory<Settings> {
    @Override
    public MethodDescriptor descriptor() {
      return new MethodDescriptor("broken", Set.of(MethodKind.ADAPTER), "1.0", "A method with a chosen defect",
          Set.of(MethodCapability.MERGES), List.of(Rule.error("not-with-selector", "broken decides what trains",
              chosen("broken"), new KindCount(Set.of(MethodKind.SELECTOR), 1, Integer.MAX_VALUE))));
    }

    @Override
    public Settings readSettings(SettingsReader reader) {
      return new Settings(reader.choice("defect", Defect.class));
    }

    @Override
    public PeftMethod create(Settings settings, MethodContext context) {
      return new Adapter(settings.defect(), context);
    }

    /** A vector per v_proj, as apply adds them; {@code plan-lies} plans one parameter too many, on the first k_proj. */
    @Override
    public Optional<MethodPlan> plan(Settings settings, ModelShape model) {
      if (settings.defect() == Defect.UNPRICED) {
        return Optional.empty();
      }
      MethodPlan.Builder plan = MethodPlan.builder();
      boolean lied = false;
      for (LinearShape linear : model.linearLayers()) {
        boolean lie = settings.defect() == Defect.PLAN_LIES && !lied && linear.name().endsWith("k_proj");
        if (linear.name().endsWith("v_proj") || lie) {
          plan.add(ParameterShape.trainable(linear.name() + ".scale", linear.layerIndex(), linear.outFeatures()));
          lied |= lie;
        }
      }
      return Optional.of(plan.build());
    }
  }

  static final class Adapter implements AdapterMethod {
    private static final NDIndex ALL = new NDIndex("...");
    private final Defect defect;
    private final MethodContext context;
    private final Map<String, LinearView> bases = new LinkedHashMap<>();
    private final Map<String, ParameterView> vectors = new LinkedHashMap<>();
    private final Map<String, NDArray> originals = new LinkedHashMap<>();
    private boolean training;
    private boolean merged;

    Adapter(Defect defect, MethodContext context) {
      this.defect = defect;
      this.context = context;
    }

    @Override
    public void setTraining(boolean training) {
      this.training = training;
    }

    @Override
    public void apply(ModelView model) {
      for (LinearView linear : model.linearLayers()) {
        if (!linear.name().endsWith("v_proj")) {
          continue;
        }
        float[] init = new float[linear.outFeatures()];
        Arrays.fill(init, defect == Defect.CHANGES_INIT ? 1.1f : 1f);
        ParameterView vector = model.addParameters(linear.name(),
            Map.of("scale", context.array(init, new Shape(linear.outFeatures())))).get("scale");
        bases.put(linear.name(), linear);
        vectors.put(linear.name(), vector);
        model.replaceLinear(linear.name(), new LinearLayer() {
          @Override
          public int inFeatures() {
            return linear.inFeatures();
          }

          @Override
          public int outFeatures() {
            return linear.outFeatures();
          }

          @Override
          public NDArray forward(NDArray x) {
            if (defect == Defect.LEAK) {
              NDScope.unregister(x.zerosLike());
            }
            if (defect == Defect.MOVES_FROZEN && training) {
              linear.weight().data().addi(context.scalar(1e-3f));
            }
            return merged ? linear.forward(x) : linear.forward(x).mul(vector.data());
          }
        });
      }
    }

    @Override
    public AdapterState state() {
      Map<String, NDArray> tensors = new LinkedHashMap<>();
      vectors.forEach((name, vector) -> tensors.put("base_model.model." + name + ".scale", vector.data()));
      if (defect == Defect.UNSAVED) {
        tensors.remove(tensors.keySet().iterator().next());
      }
      return new AdapterState(tensors, Map.of("peft_type", "BROKEN"));
    }

    @Override
    public void load(AdapterState state) {
      if (defect == Defect.NO_LOAD) {
        return;
      }
      vectors.forEach((name, vector) -> {
        NDArray saved = state.tensors().get("base_model.model." + name + ".scale");
        if (saved != null) {
          vector.setTrainable(false);
          vector.data().set(ALL, saved);
          vector.setTrainable(true);
        }
      });
    }

    @Override
    public void merge(boolean safe) {
      if (defect == Defect.MISSING_MERGE) {
        AdapterMethod.super.merge(safe);
      }
      bases.forEach((name, base) -> {
        NDArray weight = base.weight().data();
        NDArray original = weight.duplicate();
        try (NDScope scope = new NDScope()) {
          weight.set(ALL, weight.mul(vectors.get(name).data().stopGradient().expandDims(1)));
        }
        originals.put(name, original);
      });
      merged = true;
    }

    @Override
    public void unmerge() {
      originals.forEach((name, original) -> {
        bases.get(name).weight().data().set(ALL, original);
        original.close();
      });
      originals.clear();
      merged = false;
    }
  }
}
