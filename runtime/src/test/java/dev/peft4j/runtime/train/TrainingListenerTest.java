package dev.peft4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.spy;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.peft4j.api.OptimizerHook;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.config.CoreSettings.OnNonFinite;
import dev.peft4j.runtime.config.CoreSettings.Precision;
import dev.peft4j.runtime.config.CoreSettings.Scheduler;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.TinyModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.InOrder;

/** What listeners of a run are told, in which order, and what they can do to it (stop it, fail it). */
class TrainingListenerTest {

  @TempDir
  Path dir;

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  /** 6 steps (3 epochs of 2 batches), evaluation every 2 steps, a checkpoint every 4. */
  private static CoreSettings.Training settings() {
    return new CoreSettings.Training(1e-3, 3, 4, 1, Scheduler.COSINE, 0, 0.0, 1.0, 7, Precision.FP32, false, 1, -1, 1,
        2, 4, OnNonFinite.STOP, 0.9, 0.999, 1e-8, 0);
  }

  private Trainer.Builder builder(TrainingListener... listeners) {
    CausalLm model = TinyModels.random(manager, TinyModels.config("llama", false), 5);
    model.namedParameters().values().forEach(p -> p.setTrainable(true));
    Trainer.Builder builder = Trainer.builder(model, settings(), manager).train(new CountingData(2, 4, 12, 40, 1))
        .eval(new CountingData(1, 4, 12, 40, 99))
        .listener(new CheckpointWriter(new FileCheckpoints(dir.resolve("checkpoints"), 0), settings().saveSteps()));
    for (TrainingListener listener : listeners) {
      builder.listener(listener);
    }
    return builder;
  }

  @Test
  void listenersHearTheRunInOrderEachAfterTheOneAddedBefore() {
    TrainingListener first = mock(TrainingListener.class);
    TrainingListener second = mock(TrainingListener.class);

    Trainer.Result result = builder(first, second).build().run(null);

    assertThat(result.steps()).isEqualTo(6);
    assertThat(result.stopped()).isFalse();
    InOrder order = inOrder(first, second);
    order.verify(first).onBegin(0, 6);
    order.verify(second).onBegin(0, 6);
    order.verify(first).onEvaluation(argThat(e -> e.step() == 0));
    for (long step = 1; step <= 6; step++) {
      long at = step;
      order.verify(first).onStep(argThat(e -> e.step() == at));
      order.verify(second).onStep(argThat(e -> e.step() == at));
      if (step == 4) {
        // written by the CheckpointWriter (added first) during onStep, told to everyone after it
        order.verify(first).onCheckpoint(argThat(c -> c.step() == 4 && c.folder().endsWith("step-000004")));
        order.verify(second).onCheckpoint(argThat(c -> c.step() == 4));
      }
      if (step == 2 || step == 4) {
        order.verify(first).onEvaluation(argThat(e -> e.step() == at));
      }
    }
    order.verify(first).onEvaluation(argThat(e -> e.step() == 6));
    order.verify(first).onEnd(argThat(e -> e.step() == 6 && e.last()));
    order.verify(second).onEnd(any());
    order.verify(first).onCheckpoint(argThat(c -> c.step() == 6));
    verify(first, times(6)).onStep(any());
    verify(first, times(4)).onEvaluation(any());
    verify(first, times(2)).onCheckpoint(any());
    assertThat(result.lastCheckpoint().getFileName()).hasToString("step-000006");
  }

  @Test
  void aListenerStopsTheRunCleanlyAfterAStep() {
    TrainingListener stopper = mock(TrainingListener.class);
    doAnswer(invocation -> {
      StepEvent event = invocation.getArgument(0);
      if (event.step() == 3) {
        event.requestStop();
      }
      return null;
    }).when(stopper).onStep(any());

    Trainer.Result result = builder(stopper).build().run(null);

    assertThat(result.stopped()).isTrue();
    assertThat(result.steps()).isEqualTo(3);
    verify(stopper, times(3)).onStep(any());
    verify(stopper).onEnd(argThat(e -> e.step() == 3 && !e.last()));
    // the stopped run's checkpoint: a run resumed from it continues at step 3
    assertThat(result.lastCheckpoint().getFileName()).hasToString("step-000003");
    assertThat(result.evalLossAfter()).isPresent();
  }

  @Test
  void whatAListenerThrowsEndsTheRunAndComesOut() {
    TrainingListener failing = mock(TrainingListener.class);
    doThrow(new IllegalStateException("disk full")).when(failing).onStep(argThat(e -> e.step() == 2));

    assertThatThrownBy(() -> builder(failing).build().run(null)).hasMessage("disk full");
    verify(failing, times(2)).onStep(any());
    verify(failing, never()).onEnd(any());
  }

  @Test
  void aHookPreparesEveryStepOnceAndIsNeverAskedForAnUpdateItDoesNotOwn() {
    OptimizerHook hook = spy(new OptimizerHook() {});

    builder().methods(List.of(hook)).build().run(null);

    verify(hook, times(6)).beforeStep(any(), any());
    for (long step = 0; step < 6; step++) {
      long at = step;
      verify(hook).beforeStep(argThat(info -> info.step() == at), any());
    }
    verify(hook, never()).update(any(), any(), any());
  }

  @Test
  void aRunResumedAtItsEndWritesNoCheckpointAgain() {
    builder().build().run(null);
    TrainingListener late = mock(TrainingListener.class);
    Trainer resumed = builder(late).build();

    Trainer.Result result = resumed.run(new FileCheckpoints(dir.resolve("checkpoints"), 0).latest(manager).orElseThrow());

    assertThat(result.steps()).isEqualTo(6);
    verify(late).onBegin(6, 6);
    verify(late, never()).onStep(any());
    verify(late, never()).onCheckpoint(any());
    verify(late).onEnd(argThat(e -> e.step() == 6));
    verify(late).onNotice(argThat(text -> text.startsWith("resuming from")));
    verify(late, times(2)).onEvaluation(any());
  }
}
