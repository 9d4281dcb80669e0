package dev.peft4j.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW exactly as {@code torch.optim.AdamW} computes it: decoupled weight decay first, epsilon
 * added after bias correction (DJL's fused update adds it before, which changes the numbers the
 * references produce). State lives on a long-lived manager, per parameter, with its own step count
 * so that a method may reset one parameter's state (BAdam at a block switch).
 */
public final class AdamW {

  private final double beta1;
  private final double beta2;
  private final double epsilon;
  private final NDManager stateManager;
  private final Map<String, State> states = new LinkedHashMap<>();

  /** First and second moments and the number of updates made with them. */
  record State(NDArray expAvg, NDArray expAvgSq, long[] step) {}

  public AdamW(double beta1, double beta2, double epsilon, NDManager stateManager) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.stateManager = stateManager;
  }

  /** Updates {@code parameter} in place from {@code gradient}; call with gradient tracking off. */
  public void step(String name, NDArray parameter, NDArray gradient, double learningRate, double weightDecay) {
    State state = states.computeIfAbsent(name, n -> new State(
        zerosLike(parameter), zerosLike(parameter), new long[] {0}));
    long t = ++state.step()[0];
    if (weightDecay != 0) {
      parameter.muli(1 - learningRate * weightDecay);
    }
    state.expAvg().muli(beta1).addi(gradient.mul(1 - beta1));
    state.expAvgSq().muli(beta2).addi(gradient.square().mul(1 - beta2));
    double biasCorrection1 = 1 - Math.pow(beta1, t);
    double biasCorrection2 = 1 - Math.pow(beta2, t);
    NDArray denominator = state.expAvgSq().sqrt().div(Math.sqrt(biasCorrection2)).add(epsilon);
    parameter.subi(state.expAvg().div(denominator).mul(learningRate / biasCorrection1));
  }

  /** Drops the state of one parameter (its next update starts from zero moments and step 1). */
  public void reset(String name) {
    State state = states.remove(name);
    if (state != null) {
      state.expAvg().close();
      state.expAvgSq().close();
    }
  }

  /** Drops the state of every parameter (BAdam's reset at a block switch). */
  public void resetAll() {
    for (String name : List.copyOf(states.keySet())) {
      reset(name);
    }
  }

  /** The state to checkpoint: {@code exp_avg.<name>}, {@code exp_avg_sq.<name>}, and step counts. */
  public Map<String, NDArray> stateTensors() {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    states.forEach((name, s) -> {
      tensors.put("exp_avg." + name, s.expAvg());
      tensors.put("exp_avg_sq." + name, s.expAvgSq());
    });
    return tensors;
  }

  public Map<String, Long> stepCounts() {
    Map<String, Long> steps = new LinkedHashMap<>();
    states.forEach((name, s) -> steps.put(name, s.step()[0]));
    return steps;
  }

  /** Restores what {@link #stateTensors()} and {@link #stepCounts()} returned. */
  public void restore(Map<String, NDArray> tensors, Map<String, Long> steps) {
    states.values().forEach(s -> {
      s.expAvg().close();
      s.expAvgSq().close();
    });
    states.clear();
    steps.forEach((name, step) -> {
      NDArray m = tensors.get("exp_avg." + name);
      NDArray v = tensors.get("exp_avg_sq." + name);
      if (m == null || v == null) {
        throw new IllegalArgumentException("optimizer state of " + name + " is missing from the checkpoint");
      }
      states.put(name, new State(keep(m), keep(v), new long[] {step}));
    });
  }


  /** Bytes of optimizer state held now (two fp32 moments per trained value). */
  public long stateBytes() {
    return states.values().stream().mapToLong(s -> 2 * s.expAvg().getShape().size() * 4).sum();
  }

  private NDArray zerosLike(NDArray parameter) {
    return survive(stateManager.zeros(parameter.getShape(), parameter.getDataType(), parameter.getDevice()));
  }

  private NDArray keep(NDArray array) {
    NDArray copy = array.duplicate();
    copy.attach(stateManager);
    return survive(copy);
  }

  /** State outlives the step's NDScope, which would otherwise close every array made during the step. */
  private static NDArray survive(NDArray array) {
    ai.djl.ndarray.NDScope.unregister(array);
    return array;
  }
}
