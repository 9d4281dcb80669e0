package dev.peft4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class GradientWatchTest {

  @Test
  void warnsOnceWhenGradientsStayExactlyZeroAfterTrainingMoved() {
    GradientWatch watch = new GradientWatch();
    assertThat(watch.observe(1, 2.5)).isEmpty();
    for (int step = 2; step < 2 + GradientWatch.ZERO_STEPS - 1; step++) {
      assertThat(watch.observe(step, 0)).isEmpty();
    }
    Optional<String> warning = watch.observe(6, 0);
    assertThat(warning).hasValueSatisfying(w -> assertThat(w).contains("step 6", "exactly zero for 5 steps"));
    assertThat(watch.observe(7, 0)).isEmpty(); // once a run
  }

  @Test
  void zeroBeforeAnyMovementOrBrokenStreaksDoNotWarn() {
    GradientWatch watch = new GradientWatch();
    for (int step = 1; step <= 10; step++) {
      assertThat(watch.observe(step, 0)).as("a run whose gradients were never non-zero").isEmpty();
    }
    GradientWatch streaks = new GradientWatch();
    streaks.observe(1, 1.0);
    for (int step = 2; step <= 20; step++) {
      assertThat(streaks.observe(step, step % 4 == 0 ? 0.5 : 0)).isEmpty();
    }
  }

  @Test
  void skippedStepsNeitherCountNorBreakAStreak() {
    GradientWatch watch = new GradientWatch();
    watch.observe(1, 1.0);
    for (int step = 2; step <= 10; step++) {
      // zeros at 3, 5, 7, 9 with skipped (NaN) steps between
      assertThat(watch.observe(step, step % 2 == 0 ? Double.NaN : 0)).isEmpty();
    }
    assertThat(watch.observe(11, 0)).isPresent();
  }
}
