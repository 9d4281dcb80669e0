package dev.peft4j.method.badam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.api.MethodContext;
import dev.peft4j.api.OptimizerHook;
import dev.peft4j.api.model.ModelView;
import dev.peft4j.api.model.ParameterView;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * BAdam's ratio mode ({@code BlockOptimizerRatio}): every trained tensor updates only the entries of
 * its {@link EntryMask} for the current switch window, with the reference's sparse Adam — moments for
 * those entries only, {@code m += (g − m)(1 − β1)}, {@code v += (g² − v)(1 − β2)}, {@code p −= lr ·
 * √(1 − β2^t) / (1 − β1^t) · m / (√v + ε)} (epsilon before bias correction, no weight decay) — and
 * its state dropped when the window moves on (every {@code switch-interval} steps). The embedding and
 * the output head do not train unless {@code include-embedding} / {@code include-lm-head} say so.
 * Tensors of one shape share their mask, as in the reference.
 */
final class RatioModeHook implements OptimizerHook {

  private final BadamSettings settings;
  private final MethodContext context;
  /** Names of the tensors this hook updates (fixed at the first step). */
  private Set<String> trained;
  private final Map<String, SparseAdam> states = new HashMap<>();
  private final Map<Shape, Mask> masks = new HashMap<>();
  private long shownWindow = -1;

  /** The moments of one tensor's masked entries, and the step count and window they belong to. */
  private record SparseAdam(NDArray expAvg, NDArray expAvgSq, NDArray counts, long[] stepAndWindow) {
    void close() {
      expAvg.close();
      expAvgSq.close();
      counts.close();
    }
  }

  /** The flat indices of a shape's masked entries in a window (null: the whole tensor). */
  private record Mask(long window, NDArray indices) {}

  RatioModeHook(BadamSettings settings, MethodContext context) {
    this.settings = settings;
    this.context = context;
  }

  @Override
  public void beforeStep(StepInfo step, ModelView model) {
    if (trained == null) {
      trained = new TreeSet<>();
      for (ParameterView parameter : model.parameters()) {
        if (!parameter.trainable()) {
          continue;
        }
        String name = parameter.name();
        if ((name.contains("embed") && !settings.includeEmbedding()) || (name.contains("lm_head") && !settings.includeLmHead())) {
          parameter.setTrainable(false);
        } else {
          trained.add(name);
        }
      }
    }
    long window = window(step.step());
    if (window != shownWindow) {
      shownWindow = window;
      // The state of the window that ended goes now, not at each tensor's next update.
      states.values().removeIf(state -> {
        if (state.stepAndWindow()[1] != window) {
          state.close();
          return true;
        }
        return false;
      });
      show(step.step(), window, model);
    }
  }

  @Override
  public boolean ownsUpdate(ParameterView parameter) {
    return trained != null && trained.contains(parameter.name());
  }

  @Override
  public void update(ParameterView parameter, NDArray gradient, StepInfo step) {
    NDArray weights = parameter.data();
    long n = weights.getShape().size();
    double ratio = settings.updateRatio();
    long k = EntryMask.count(n, ratio);
    if (k == 0) {
      return;
    }
    long window = window(step.step());
    SparseAdam state = states.get(parameter.name());
    if (state == null || state.stepAndWindow()[1] != window) {
      if (state != null) {
        state.close();
      }
      state = new SparseAdam(keep(context.manager().zeros(new Shape(k))), keep(context.manager().zeros(new Shape(k))),
          keep(context.manager().zeros(new Shape(2))), new long[] {0, window});
      states.put(parameter.name(), state);
    }
    NDArray indices = EntryMask.whole(n, ratio) ? null : mask(weights.getShape(), window);
    NDArray g = indices == null ? gradient.reshape(k) : gradient.take(indices);
    long t = ++state.stepAndWindow()[0];
    double beta1 = step.beta1();
    double beta2 = step.beta2();
    state.expAvg().addi(g.sub(state.expAvg()).mul(1 - beta1));
    state.expAvgSq().addi(g.square().sub(state.expAvgSq()).mul(1 - beta2));
    state.counts().set(new float[] {t, window});
    NDArray denominator = state.expAvgSq().sqrt().add(step.epsilon());
    double stepSize = step.learningRate() * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
    NDArray change = state.expAvg().div(denominator).mul(stepSize);
    if (indices == null) {
      weights.subi(change.reshape(weights.getShape()));
    } else {
      weights.subi(weights.zerosLike().put(indices, change));
    }
  }

  private long window(long step) {
    return settings.switchInterval() > 0 ? step / settings.switchInterval() : 0;
  }

  private NDArray mask(Shape shape, long window) {
    Mask mask = masks.get(shape);
    if (mask == null || mask.window() != window) {
      if (mask != null) {
        mask.indices().close();
      }
      long[] indices = EntryMask.indices(shape.size(), settings.updateRatio(), window, settings.maskMode(),
          shapeSeed(shape));
      mask = new Mask(window, keep(owned(context.manager(), indices)));
      masks.put(shape, mask);
    }
    return mask.indices();
  }

  /** Tensors of one shape share their scattered mask (the reference keeps one mask per shape). */
  private long shapeSeed(Shape shape) {
    return Seeds.derive(context.seed(), Seeds.SCATTER, java.util.Arrays.hashCode(shape.getShape()));
  }

  /**
   * Index arrays in libtorch's own memory: DJL 0.35 keeps an array made from Java data over a Java
   * buffer the garbage collector may free, so it is copied at once (what the runtime's {@code
   * Tensors.of} does for its arrays).
   */
  private static NDArray owned(NDManager manager, long[] data) {
    NDArray fromJava = manager.create(data);
    NDArray copy = fromJava.duplicate();
    fromJava.close();
    return copy;
  }

  /** State outlives the step's scope, which closes every array made during the step. */
  private static NDArray keep(NDArray array) {
    NDScope.unregister(array);
    return array;
  }

  @Override
  public Map<String, NDArray> optimizerState() {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    new TreeSet<>(states.keySet()).forEach(name -> {
      SparseAdam state = states.get(name);
      tensors.put("exp_avg." + name, state.expAvg());
      tensors.put("exp_avg_sq." + name, state.expAvgSq());
      tensors.put("step_and_window." + name, state.counts());
    });
    return tensors;
  }

  @Override
  public void loadOptimizerState(Map<String, NDArray> tensors) {
    states.values().forEach(SparseAdam::close);
    states.clear();
    tensors.forEach((key, counts) -> {
      if (!key.startsWith("step_and_window.")) {
        return;
      }
      String name = key.substring("step_and_window.".length());
      NDArray m = tensors.get("exp_avg." + name);
      NDArray v = tensors.get("exp_avg_sq." + name);
      if (m == null || v == null) {
        throw new IllegalArgumentException("badam's optimizer state of " + name + " is incomplete in the checkpoint");
      }
      float[] stepAndWindow = counts.toFloatArray();
      states.put(name, new SparseAdam(copy(m), copy(v), copy(counts),
          new long[] {(long) stepAndWindow[0], (long) stepAndWindow[1]}));
    });
  }

  private NDArray copy(NDArray array) {
    NDArray copy = array.duplicate();
    copy.attach(context.manager());
    return keep(copy);
  }

  @Override
  public void close() {
    states.values().forEach(SparseAdam::close);
    states.clear();
    masks.values().forEach(mask -> mask.indices().close());
    masks.clear();
  }

  /** verbose 1: the rule of each window; 2: also which entries of each tensor update. */
  private void show(long step, long window, ModelView model) {
    if (settings.verbose() < 1) {
      return;
    }
    double ratio = settings.updateRatio();
    String until = settings.switchInterval() > 0 ? "steps " + (step + 1) + " to " + (window + 1) * settings.switchInterval()
        : "from step " + (step + 1) + " on";
    context.report(String.format(Locale.ROOT, "badam %s (ratio mode, window %d): each tensor of %d or more values updates "
            + "%s of its entries (%s); smaller ones update whole; %d tensors train", until, window,
        EntryMask.WHOLE_BELOW, percent(ratio), settings.maskMode().name().toLowerCase(Locale.ROOT), trained.size()));
    if (settings.verbose() >= 2) {
      for (ParameterView parameter : model.parameters()) {
        if (!trained.contains(parameter.name())) {
          continue;
        }
        long n = parameter.data().getShape().size();
        context.report("  " + parameter.name() + ": " + (EntryMask.whole(n, ratio) ? "all " + n + " entries"
            : EntryMask.count(n, ratio) + " of " + n + " entries from position " + EntryMask.offset(n, ratio, window)
                + (settings.maskMode() == BadamSettings.MaskMode.SCATTER ? " of a seeded permutation" : "")));
      }
    }
  }

  private static String percent(double ratio) {
    return String.format(Locale.ROOT, "%.4g%%", ratio * 100).replaceAll("\\.?0+%", "%");
  }
}
