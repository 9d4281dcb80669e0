package dev.peft4j.runtime.data;

import java.util.Objects;

/** A sample and the number of the line (from 1) it was read from. */
public record DataLine(int number, Sample sample) {
  public DataLine {
    Objects.requireNonNull(sample, "sample is null");
  }
}
