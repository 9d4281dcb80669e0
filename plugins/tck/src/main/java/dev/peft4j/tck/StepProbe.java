package dev.peft4j.tck;

import dev.peft4j.runtime.train.StepEvent;
import dev.peft4j.runtime.train.TrainingListener;
import java.util.Set;

/** Looks at a run after every optimizer step, outside the step's scope, as a listener of the runtime's trainer. */
final class StepProbe implements TrainingListener {

  /** What to do after a step: {@code step} counts from 1, {@code trained} names what the methods chose to train. */
  interface Listener {
    void afterStep(long step, Set<String> trained);
  }

  private final Listener listener;

  StepProbe(Listener listener) {
    this.listener = listener;
  }

  @Override
  public void onStep(StepEvent event) {
    listener.afterStep(event.step(), Set.copyOf(event.snapshot().trainable().keySet()));
  }
}
