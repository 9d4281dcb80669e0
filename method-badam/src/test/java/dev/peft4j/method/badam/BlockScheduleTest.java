package dev.peft4j.method.badam;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peft4j.method.badam.BadamSettings.SwitchMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BlockScheduleTest {

  private static List<Integer> blocksOfSteps(BlockSchedule schedule, int steps) {
    List<Integer> blocks = new ArrayList<>();
    for (int step = 0; step < steps; step++) {
      blocks.add(schedule.blockAt(schedule.activation(step)));
    }
    return blocks;
  }

  @Test
  void switchesAfterTheStepsTheReferenceSwitchesAfter() {
    // badam's BlockOptimizer switches after optimizer step g (1-based) when (g + 1) % interval == 0.
    BlockSchedule schedule = new BlockSchedule(3, SwitchMode.ASCENDING, OptionalInt.empty(), 3, 1);

    assertThat(blocksOfSteps(schedule, 9)).containsExactly(0, 0, 1, 1, 1, 2, 2, 2, 0);
    assertThat(IntStream.range(0, 9).filter(schedule::switchesBefore).boxed().toList()).containsExactly(2, 5, 8);
  }

  @Test
  void anIntervalOfOneSwitchesBeforeEveryStepButTheFirst() {
    BlockSchedule schedule = new BlockSchedule(2, SwitchMode.ASCENDING, OptionalInt.empty(), 1, 1);

    assertThat(blocksOfSteps(schedule, 4)).containsExactly(0, 1, 0, 1);
    assertThat(schedule.switchesBefore(0)).isFalse();
    assertThat(schedule.switchesBefore(1)).isTrue();
  }

  @Test
  void minusOneNeverSwitches() {
    BlockSchedule schedule = new BlockSchedule(4, SwitchMode.DESCENDING, OptionalInt.empty(), -1, 1);

    assertThat(blocksOfSteps(schedule, 200)).containsOnly(3);
    assertThat(IntStream.range(0, 200).anyMatch(schedule::switchesBefore)).isFalse();
  }

  @Test
  void descendingStartsAtTheLastBlockAndWraps() {
    assertThat(blocksOfSteps(new BlockSchedule(3, SwitchMode.DESCENDING, OptionalInt.empty(), 2, 1), 8))
        .containsExactly(2, 1, 1, 0, 0, 2, 2, 1);
    assertThat(blocksOfSteps(new BlockSchedule(3, SwitchMode.DESCENDING, OptionalInt.of(0), 2, 1), 4))
        .containsExactly(0, 2, 2, 1);
  }

  @Test
  void fixedKeepsTheStartBlockButStillResetsAtEachSwitch() {
    BlockSchedule schedule = new BlockSchedule(3, SwitchMode.FIXED, OptionalInt.of(1), 2, 1);

    assertThat(blocksOfSteps(schedule, 6)).containsOnly(1);
    assertThat(IntStream.range(0, 6).filter(schedule::switchesBefore).boxed().toList()).containsExactly(1, 3, 5);
    assertThat(blocksOfSteps(new BlockSchedule(3, SwitchMode.FIXED, OptionalInt.empty(), 2, 1), 4)).containsOnly(0);
  }

  @Test
  void randomVisitsEveryBlockOncePerPassInAFreshOrder() {
    int blocks = 6;
    BlockSchedule schedule = new BlockSchedule(blocks, SwitchMode.RANDOM, OptionalInt.empty(), 1, 42);
    List<List<Integer>> passes = new ArrayList<>();
    for (int pass = 0; pass < 8; pass++) {
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < blocks; i++) {
        order.add(schedule.blockAt((long) pass * blocks + i));
      }
      passes.add(order);
      assertThat(order).as("pass %d", pass).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5);
      assertThat(order).isEqualTo(Arrays.stream(schedule.order(pass)).boxed().toList());
      assertThat(schedule.passStartedBy((long) pass * blocks)).isEqualTo(pass);
      assertThat(schedule.passStartedBy((long) pass * blocks + 1)).isEqualTo(-1);
    }
    assertThat(passes.stream().distinct().count()).as("distinct orders among 8 passes").isGreaterThan(4);
  }

  @Test
  void randomRepeatsWithTheSeedAndChangesWithAnother() {
    BlockSchedule one = new BlockSchedule(8, SwitchMode.RANDOM, OptionalInt.empty(), 5, 7);
    BlockSchedule same = new BlockSchedule(8, SwitchMode.RANDOM, OptionalInt.empty(), 5, 7);
    BlockSchedule other = new BlockSchedule(8, SwitchMode.RANDOM, OptionalInt.empty(), 5, 8);

    assertThat(blocksOfSteps(one, 400)).isEqualTo(blocksOfSteps(same, 400)).isNotEqualTo(blocksOfSteps(other, 400));
  }

  @Test
  void randomWithAStartBlockBeginsThereThenDrawsPasses() {
    BlockSchedule schedule = new BlockSchedule(4, SwitchMode.RANDOM, OptionalInt.of(2), 1, 3);

    assertThat(schedule.blockAt(0)).isEqualTo(2);
    assertThat(List.of(schedule.blockAt(1), schedule.blockAt(2), schedule.blockAt(3), schedule.blockAt(4)))
        .containsExactlyInAnyOrder(0, 1, 2, 3);
    assertThat(schedule.passStartedBy(1)).isZero();
  }
}
