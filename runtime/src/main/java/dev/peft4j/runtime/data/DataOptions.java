package dev.peft4j.runtime.data;

import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.config.CoreSettings.Columns;
import dev.peft4j.runtime.config.CoreSettings.DataFormat;
import dev.peft4j.runtime.config.CoreSettings.TemplateName;
import java.util.Objects;

/**
 * How a data file becomes examples.
 *
 * @param format alpaca, sharegpt or text
 * @param cutoffLen the longest example in tokens; longer ones keep their start
 * @param packing concatenate examples into sequences of up to {@code cutoffLen} tokens
 * @param skipBadLines count bad lines and go on, instead of stopping at the first
 * @param maxSamples the first this many samples of each file; -1 for all
 * @param template the chat template of conversations
 * @param columns the field names of the files
 */
public record DataOptions(DataFormat format, int cutoffLen, boolean packing, boolean skipBadLines, int maxSamples,
    TemplateName template, Columns columns) {
  public DataOptions {
    Objects.requireNonNull(format, "format is null");
    Objects.requireNonNull(template, "template is null");
    Objects.requireNonNull(columns, "columns is null");
    if (cutoffLen < 1) {
      throw new IllegalArgumentException("cutoffLen must be at least 1, got " + cutoffLen);
    }
    if (maxSamples < -1) {
      throw new IllegalArgumentException("maxSamples must be -1 (all) or more, got " + maxSamples);
    }
  }

  /** Options that keep every sample, with the model's own chat template and the formats' own field names. */
  public DataOptions(DataFormat format, int cutoffLen, boolean packing, boolean skipBadLines) {
    this(format, cutoffLen, packing, skipBadLines, -1, TemplateName.MODEL, Columns.DEFAULT);
  }

  /** These options with packing {@code packing}. */
  public DataOptions withPacking(boolean packing) {
    return new DataOptions(format, cutoffLen, packing, skipBadLines, maxSamples, template, columns);
  }

  /** The options a run's {@code peft4j.data} block sets. */
  public static DataOptions of(CoreSettings.Data data) {
    return new DataOptions(data.format(), data.cutoffLen(), data.packing(), data.skipBadLines(), data.maxSamples(),
        data.template(), data.columns());
  }
}
