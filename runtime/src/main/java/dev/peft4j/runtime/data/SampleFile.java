package dev.peft4j.runtime.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/** The samples of a data file, each with its line number, and the bad lines that were skipped. */
public record SampleFile(Path file, List<DataLine> lines, BadLines badLines) {
  public SampleFile {
    Objects.requireNonNull(file, "file is null");
    lines = List.copyOf(lines);
    Objects.requireNonNull(badLines, "badLines is null");
  }

  public List<Sample> samples() {
    return lines.stream().map(DataLine::sample).toList();
  }
}
