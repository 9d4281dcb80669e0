package dev.peft4j.method.badam;

import dev.peft4j.api.config.SettingsReader;
import java.util.OptionalInt;

/** The settings of {@code peft4j.badam}, read eagerly; see {@code reference.conf} for each one. */
public record BadamSettings(
    Mode mode,
    OptionalInt startBlock,
    SwitchMode switchMode,
    int switchInterval,
    double updateRatio,
    MaskMode maskMode,
    int verbose,
    boolean includeEmbedding,
    boolean includeLmHead) {

  public enum Mode { LAYER, RATIO }

  public enum SwitchMode { ASCENDING, DESCENDING, RANDOM, FIXED }

  public enum MaskMode { ADJACENT, SCATTER }

  public static BadamSettings read(SettingsReader r) {
    OptionalInt start = OptionalInt.empty();
    if (r.raw("start-block") != null) {
      start = OptionalInt.of(r.integerAtLeast("start-block", 0));
    }
    int interval = r.integer("switch-interval");
    if ((interval == 0 || interval < -1) && !r.hasProblem("switch-interval")) {
      r.problem("switch-interval", "must be a positive number of steps, or -1 to never switch; got " + interval);
    }
    double ratio = r.number("update-ratio");
    if (!(ratio > 0 && ratio <= 1) && !r.hasProblem("update-ratio")) {
      r.problem("update-ratio", "must be in (0, 1], got " + ratio);
    }
    int verbose = r.integer("verbose");
    if ((verbose < 0 || verbose > 2) && !r.hasProblem("verbose")) {
      r.problem("verbose", "must be 0, 1 or 2, got " + verbose);
    }
    return new BadamSettings(
        r.choice("mode", Mode.class), start, r.choice("switch-mode", SwitchMode.class), interval, ratio,
        r.choice("mask-mode", MaskMode.class), verbose, r.bool("include-embedding"), r.bool("include-lm-head"));
  }
}
