package dev.peft4j.method.badam;

import dev.peft4j.method.badam.BadamSettings.SwitchMode;
import java.util.OptionalInt;
import java.util.SplittableRandom;

/**
 * Which block trains at which optimizer step, computed from the step alone (so a resumed run needs no
 * state of its own). As in the reference, the switch comes after an optimizer step whose number
 * {@code g} (1-based) has {@code (g + 1) % interval == 0}: the first block trains {@code interval - 1}
 * steps, every later one {@code interval} steps. The n-th block to train ("activation" n, 0 for the
 * first) follows {@code switch-mode}: ascending and descending wrap around, fixed keeps the start block
 * (its state is still reset at each switch), and random draws a fresh permutation of the blocks for
 * every pass, seeded from the run's seed and the pass number.
 */
final class BlockSchedule {

  private final int blocks;
  private final SwitchMode mode;
  private final OptionalInt start;
  private final int interval;
  private final long seed;

  BlockSchedule(int blocks, SwitchMode mode, OptionalInt start, int interval, long seed) {
    if (blocks < 1) {
      throw new IllegalArgumentException("no blocks");
    }
    this.blocks = blocks;
    this.mode = mode;
    this.start = start;
    this.interval = interval;
    this.seed = seed;
  }

  /** Whether the block switches (and the optimizer state is reset) right before 0-based step {@code step}. */
  boolean switchesBefore(long step) {
    return interval > 0 && step >= 1 && (step + 1) % interval == 0;
  }

  /** How many switches happened before 0-based step {@code step}: the activation number of its block. */
  long activation(long step) {
    if (interval <= 0) {
      return 0;
    }
    return (step + 1) / interval - (interval == 1 ? 1 : 0);
  }

  int blockAt(long activation) {
    return switch (mode) {
      case ASCENDING -> (int) Math.floorMod(start.orElse(0) + activation, (long) blocks);
      case DESCENDING -> (int) Math.floorMod(start.orElse(blocks - 1) - activation, (long) blocks);
      case FIXED -> start.orElse(0);
      case RANDOM -> {
        if (start.isPresent() && activation == 0) {
          yield start.getAsInt();
        }
        long drawn = start.isPresent() ? activation - 1 : activation;
        yield order(drawn / blocks)[(int) (drawn % blocks)];
      }
    };
  }

  /** For random mode: the pass that {@code activation} starts, or -1 if it starts none. */
  long passStartedBy(long activation) {
    if (mode != SwitchMode.RANDOM) {
      return -1;
    }
    long drawn = start.isPresent() ? activation - 1 : activation;
    return drawn >= 0 && drawn % blocks == 0 ? drawn / blocks : -1;
  }

  /** Random mode: the order of the blocks in pass {@code pass}, a permutation of 0..blocks-1. */
  int[] order(long pass) {
    SplittableRandom random = new SplittableRandom(Seeds.derive(seed, Seeds.BLOCK_ORDER, pass));
    int[] order = new int[blocks];
    for (int i = 0; i < blocks; i++) {
      order[i] = i;
    }
    for (int i = blocks - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    return order;
  }
}
