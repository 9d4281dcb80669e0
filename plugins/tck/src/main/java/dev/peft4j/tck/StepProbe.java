package dev.peft4j.tck;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.runtime.train.Checkpoints;
import dev.peft4j.runtime.train.TrainerState;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Looks at a run after every optimizer step. The trainer hands a checkpoint the parameters that trained in the
 * step just taken; with {@code save-steps = 1} this is called after each step, outside the step's scope, and
 * writes nothing.
 */
final class StepProbe implements Checkpoints {

  /** What to do after a step: {@code step} counts from 1, {@code trained} names what trained in it. */
  interface Listener {
    void afterStep(long step, Set<String> trained);
  }

  private final Listener listener;

  StepProbe(Listener listener) {
    this.listener = listener;
  }

  @Override
  public Path save(TrainerState state, Map<String, NDArray> trainable, Map<String, NDArray> optimizer) {
    listener.afterStep(state.step(), Set.copyOf(trainable.keySet()));
    return null;
  }

  @Override
  public Optional<Saved> latest(NDManager manager) {
    return Optional.empty();
  }
}
