package dev.peft4j.runtime.data;

import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.config.CoreSettings.DataFormat;
import java.util.Objects;

/**
 * How a data file becomes examples.
 *
 * @param format alpaca, sharegpt or text
 * @param cutoffLen the longest example in tokens; longer ones keep their start
 * @param packing concatenate examples into sequences of up to {@code cutoffLen} tokens
 * @param skipBadLines count bad lines and go on, instead of stopping at the first
 */
public record DataOptions(DataFormat format, int cutoffLen, boolean packing, boolean skipBadLines) {
  public DataOptions {
    Objects.requireNonNull(format, "format is null");
    if (cutoffLen < 1) {
      throw new IllegalArgumentException("cutoffLen must be at least 1, got " + cutoffLen);
    }
  }

  /** The options a run's {@code peft4j.data} block sets. */
  public static DataOptions of(CoreSettings.Data data) {
    return new DataOptions(data.format(), data.cutoffLen(), data.packing(), data.skipBadLines());
  }
}
