package dev.peft4j.method.galore;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.api.MethodContext;
import dev.peft4j.api.OptimizerHook;
import dev.peft4j.api.model.LinearView;
import dev.peft4j.api.model.ModelView;
import dev.peft4j.api.model.ParameterView;
import dev.peft4j.method.galore.SingularVectors.Side;
import dev.peft4j.method.galore.SingularVectors.Top;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * GaLore as galore-torch's {@code GaLoreAdamW} computes it, with the parameter groups LLaMA-Factory
 * gives it. This hook performs the update of <em>every</em> trainable parameter, so that a run equals one
 * {@code GaLoreAdamW} over the whole model:
 *
 * <ul>
 *   <li>the 2-D weights of the targeted linear layers get their gradient projected to low rank
 *       ({@link GaloreProjector}; the projector is recomputed from the gradient at the parameter's
 *       steps 0, T, 2T…), Adam's moments live in the projected shape and are kept when the projector
 *       changes, and the normalised update is projected back and multiplied by {@code scale};
 *   <li>every other trainable parameter takes the same AdamW step without projection.
 * </ul>
 *
 * <p>The step is transformers' AdamW, as in galore-torch: {@code denom = √v + ε} (epsilon added before
 * the bias correction of {@code v}), {@code step_size = lr·√(1−β₂ᵗ)/(1−β₁ᵗ)}, then decoupled weight
 * decay applied after the update, {@code p ← p − lr·wd·p}. This differs slightly from {@code
 * torch.optim.AdamW}, which the runtime uses without GaLore. Weight decay applies to parameters of two or
 * more dimensions (not to norms and biases), as the runtime does; LLaMA-Factory's own grouping misses
 * the RMSNorm of decoder models (it only exempts {@code nn.LayerNorm} and names with "bias"), transformers' Trainer
 * does not.
 */
final class GaloreOptimizer implements OptimizerHook {

  private static final NDIndex ALL = new NDIndex("...");

  private final GaloreSettings settings;
  private final MethodContext context;
  private final SingularVectors singularVectors;
  private final Map<String, ParameterState> states = new LinkedHashMap<>();
  /** 0-d arrays of the run's constants (betas, epsilon, scale), made once: each costs a few native calls. */
  private final Map<Float, NDArray> constants = new java.util.HashMap<>();
  private Set<String> targets;

  /** Adam's state of one parameter: moments (in the projected shape for GaLore weights), step count, projector. */
  private static final class ParameterState {
    NDArray expAvg;
    NDArray expAvgSq;
    long step;
    GaloreProjector projector;
    /** The step count as a tensor, for {@link #optimizerState()}. */
    NDArray stepTensor;
  }

  GaloreOptimizer(GaloreSettings settings, MethodContext context) {
    this(settings, context, settings.svd() == GaloreSettings.SvdKind.EXACT
        ? new ExactSingularVectors(context) : new RandomizedSingularVectors(context));
  }

  /** With another source of singular vectors (a test aligns their signs with the reference's). */
  GaloreOptimizer(GaloreSettings settings, MethodContext context, SingularVectors singularVectors) {
    this.settings = settings;
    this.context = context;
    this.singularVectors = singularVectors;
  }

  /**
   * The weights GaLore projects: those of linear layers whose name contains a target (LLaMA-Factory's
   * substring match), or of every linear layer but the output head for {@code all}.
   */
  static Set<String> targets(List<String> target, ModelView model) {
    Set<String> names = new LinkedHashSet<>();
    for (LinearView linear : model.linearLayers()) {
      String name = linear.name();
      boolean chosen = target.contains(GaloreSettings.ALL)
          ? !name.equals("lm_head")
          : target.stream().anyMatch(name::contains);
      if (chosen && !linear.quantized() && linear.weight().data().getShape().dimension() == 2) {
        names.add(linear.weight().name());
      }
    }
    return names;
  }

  @Override
  public void beforeStep(StepInfo step, ModelView model) {
    if (targets == null) {
      targets = targets(settings.target(), model);
    }
  }

  /** Every trainable parameter: the whole run is one GaLoreAdamW. */
  @Override
  public boolean ownsUpdate(ParameterView parameter) {
    return true;
  }

  @Override
  public boolean stepsDuringBackward() {
    return settings.layerwise();
  }

  /** Whether {@code name} is a weight GaLore projects (known after the first {@link #beforeStep}). */
  boolean projects(String name) {
    if (targets == null) {
      throw new IllegalStateException("beforeStep was not called: GaLore does not know its target weights yet");
    }
    return targets.contains(name);
  }

  @Override
  public void update(ParameterView parameter, NDArray gradient, StepInfo info) {
    String name = parameter.name();
    NDArray weights = parameter.data();
    boolean galore = projects(name);
    ParameterState state = states.computeIfAbsent(name, n -> new ParameterState());
    try (NDScope scope = new NDScope()) {
      NDArray g = gradient;
      if (galore) {
        if (state.projector == null) {
          state.projector = new GaloreProjector(GaloreProjector.sideOf(settings.projType(), weights.getShape()));
        }
        if (!state.projector.ready() || state.step % settings.updateInterval() == 0) {
          Top top = singularVectors.top(gradient, settings.rank(), state.projector.side(), name + "@" + state.step);
          state.projector.replace(new Top(keep(top.u()), keep(top.vh())));
        }
        g = state.projector.project(gradient);
      }
      if (state.expAvg == null) {
        state.expAvg = keep(g.zerosLike());
        state.expAvgSq = keep(g.zerosLike());
      }
      long t = ++state.step;
      double beta1 = info.beta1();
      double beta2 = info.beta2();
      state.expAvg.muli(constant(beta1)).addi(g.mul(constant(1 - beta1)));
      state.expAvgSq.muli(constant(beta2)).addi(g.mul(constant(1 - beta2)).mul(g));
      NDArray denominator = state.expAvgSq.sqrt().add(constant(info.epsilon()));
      double stepSize = info.learningRate() * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
      NDArray normalized = state.expAvg.div(denominator);
      if (galore) {
        normalized = state.projector.projectBack(normalized, constant(settings.scale()));
      }
      weights.subi(normalized.mul(scalar(stepSize)));
      if (info.weightDecay() > 0 && weights.getShape().dimension() >= 2) {
        weights.addi(weights.mul(scalar(-info.learningRate() * info.weightDecay())));
      }
    }
  }

  /**
   * Per parameter: {@code exp_avg.NAME}, {@code exp_avg_sq.NAME}, {@code step.NAME} (the count as a
   * one-element fp32 array, exact below 2²⁴ steps) and, for GaLore weights, {@code projector_u.NAME}
   * and/or {@code projector_vh.NAME}.
   */
  @Override
  public Map<String, NDArray> optimizerState() {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    states.forEach((name, s) -> {
      if (s.expAvg == null) {
        return;
      }
      NDArray count = context.array(new float[] {s.step}, new Shape(1));
      if (s.stepTensor == null) {
        s.stepTensor = keep(count.duplicate());
      } else {
        s.stepTensor.set(ALL, count);
      }
      count.close();
      tensors.put("exp_avg." + name, s.expAvg);
      tensors.put("exp_avg_sq." + name, s.expAvgSq);
      tensors.put("step." + name, s.stepTensor);
      if (s.projector != null && s.projector.left() != null) {
        tensors.put("projector_u." + name, s.projector.left());
      }
      if (s.projector != null && s.projector.right() != null) {
        tensors.put("projector_vh." + name, s.projector.right());
      }
    });
    return tensors;
  }

  @Override
  public void loadOptimizerState(Map<String, NDArray> tensors) {
    close();
    tensors.forEach((key, array) -> {
      if (!key.startsWith("step.")) {
        return;
      }
      String name = key.substring("step.".length());
      NDArray expAvg = tensors.get("exp_avg." + name);
      NDArray expAvgSq = tensors.get("exp_avg_sq." + name);
      if (expAvg == null || expAvgSq == null) {
        throw new IllegalArgumentException("GaLore's optimizer state of " + name + " has a step count but no moments");
      }
      ParameterState state = new ParameterState();
      state.step = Math.round(array.toFloatArray()[0]);
      state.expAvg = copy(expAvg);
      state.expAvgSq = copy(expAvgSq);
      NDArray u = tensors.get("projector_u." + name);
      NDArray vh = tensors.get("projector_vh." + name);
      if (u != null || vh != null) {
        state.projector = new GaloreProjector(u != null && vh != null ? Side.BOTH : u != null ? Side.LEFT : Side.RIGHT);
        state.projector.replace(new Top(u == null ? null : copy(u), vh == null ? null : copy(vh)));
      }
      states.put(name, state);
    });
  }

  /** Bytes of optimizer state held now: moments and projectors, fp32. */
  long stateBytes() {
    long values = 0;
    for (ParameterState s : states.values()) {
      values += s.expAvg == null ? 0 : 2 * s.expAvg.getShape().size();
      if (s.projector != null) {
        values += s.projector.left() == null ? 0 : s.projector.left().getShape().size();
        values += s.projector.right() == null ? 0 : s.projector.right().getShape().size();
      }
    }
    return values * 4;
  }

  @Override
  public void close() {
    for (ParameterState s : states.values()) {
      for (NDArray array : new NDArray[] {s.expAvg, s.expAvgSq, s.stepTensor}) {
        if (array != null) {
          array.close();
        }
      }
      if (s.projector != null) {
        s.projector.close();
      }
    }
    states.clear();
    constants.values().forEach(NDArray::close);
    constants.clear();
  }

  /** A run's constant as a long-lived 0-d fp32 array. */
  private NDArray constant(double value) {
    return constants.computeIfAbsent((float) value, v -> keep(context.scalar(v)));
  }

  /** A 0-d fp32 array: never a Java number in an array operation (see {@link MethodContext#scalar}). */
  private NDArray scalar(double value) {
    return context.scalar((float) value);
  }

  /** State outlives the step: on the run's manager, out of the step's scope. */
  private NDArray keep(NDArray array) {
    if (array == null) {
      return null;
    }
    array.attach(context.manager());
    NDScope.unregister(array);
    return array;
  }

  private NDArray copy(NDArray array) {
    return keep(array.duplicate());
  }
}
