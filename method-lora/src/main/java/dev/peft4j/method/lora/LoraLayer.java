package dev.peft4j.method.lora;

import ai.djl.ndarray.NDArray;
import dev.peft4j.api.MethodContext;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.api.model.LinearView;
import dev.peft4j.api.model.ParameterView;
import java.util.function.BooleanSupplier;

/**
 * A linear layer with a low-rank branch: {@code y = base(x) + B(A(dropout(x))) · scaling}; with DoRA,
 * {@code y = base(x) + (m/‖W'‖ − 1)·x·Wᵀ + (m/‖W'‖)·B(A(x))·scaling} where {@code W' = W + scaling·B·A}
 * and the norm (per output feature) is detached, as PEFT computes it. The branch runs in its parameters' dtype
 * (float32) whatever the base computes in, as PEFT casts the input to {@code lora_A}'s dtype; {@code x·Wᵀ} is the
 * base's own result less its bias when no dropout is active, as in PEFT.
 */
final class LoraLayer implements LinearLayer {

  private final LinearView base;
  private final ParameterView a;
  private final ParameterView b;
  private final ParameterView magnitude;
  private final NDArray scaling;
  private final NDArray one;
  private final float dropout;
  private final BooleanSupplier training;
  private final MethodContext context;
  private boolean merged;

  LoraLayer(LinearView base, ParameterView a, ParameterView b, ParameterView magnitude, NDArray scaling, NDArray one,
      float dropout, BooleanSupplier training, MethodContext context) {
    this.context = context;
    this.base = base;
    this.a = a;
    this.b = b;
    this.magnitude = magnitude;
    this.scaling = scaling;
    this.one = one;
    this.dropout = dropout;
    this.training = training;
  }

  @Override
  public int inFeatures() {
    return base.inFeatures();
  }

  @Override
  public int outFeatures() {
    return base.outFeatures();
  }

  LinearView base() {
    return base;
  }

  ParameterView a() {
    return a;
  }

  ParameterView b() {
    return b;
  }

  /** The DoRA magnitude, or null for plain LoRA. */
  ParameterView magnitude() {
    return magnitude;
  }

  NDArray scaling() {
    return scaling;
  }

  boolean merged() {
    return merged;
  }

  void setMerged(boolean merged) {
    this.merged = merged;
  }

  @Override
  public NDArray forward(NDArray x) {
    NDArray result = base.forward(x);
    if (merged) {
      return result;
    }
    boolean dropping = training.getAsBoolean() && dropout > 0;
    NDArray cast = context.castLike(x, a.data());
    NDArray input = dropping ? cast.getNDArrayInternal().dropout(cast, dropout, true).singletonOrThrow() : cast;
    NDArray update = input.matMul(a.data().transpose()).matMul(b.data().transpose()).mul(scaling);
    if (magnitude == null) {
      return result.add(update);
    }
    NDArray scale = magnitude.data().div(weightNorm().stopGradient());
    NDArray withoutBias;
    if (dropping) {
      withoutBias = input.matMul(context.castLike(base.weight().data(), input).transpose());
    } else {
      withoutBias = base.bias().map(bias -> result.sub(bias.data())).orElse(result);
    }
    return result.add(withoutBias.mul(scale.sub(one))).add(update.mul(scale));
  }

  /** {@code ‖W + scaling·B·A‖} per output feature (row of the {@code [out, in]} weight). */
  NDArray weightNorm() {
    NDArray combined = base.weight().data().add(b.data().matMul(a.data()).mul(scaling));
    return combined.square().sum(new int[] {1}).sqrt();
  }

  /** The weight's change when merged: {@code scaling·B·A}, or DoRA's {@code (m/‖W'‖)·W' − W}. */
  NDArray delta() {
    NDArray lowRank = b.data().matMul(a.data()).mul(scaling);
    if (magnitude == null) {
      return lowRank;
    }
    NDArray weight = base.weight().data();
    NDArray combined = weight.add(lowRank);
    return combined.mul(magnitude.data().div(weightNorm()).expandDims(1)).sub(weight);
  }
}
