package dev.peft4j.runtime.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The examples made from a data file, and what happened on the way.
 *
 * @param file the data file
 * @param examples the examples (sequences, when packed), in file order
 * @param samples the good lines read
 * @param truncated examples cut to cutoff-len that kept part of their answer
 * @param dropped examples left out because cutoff-len cut away every learned token
 * @param badLines the bad lines skipped
 */
public record PreparedData(Path file, List<Example> examples, int samples, int truncated, int dropped, BadLines badLines) {
  public PreparedData {
    Objects.requireNonNull(file, "file is null");
    examples = List.copyOf(examples);
    Objects.requireNonNull(badLines, "badLines is null");
  }

  /** Tokens of all examples. */
  public long tokens() {
    return examples.stream().mapToLong(Example::length).sum();
  }

  /**
   * For the terminal, e.g. {@code data/train.jsonl: 4000 examples, 196,131 tokens; 3 cut to cutoff-len; 1 dropped
   * (cutoff-len cut away its whole answer)}, then the bad lines skipped, if any.
   */
  public String summary(int cutoffLen) {
    StringBuilder text = new StringBuilder().append(file).append(": ").append(samples)
        .append(samples == 1 ? " example" : " examples");
    if (examples.size() != samples - dropped) {
      text.append(" in ").append(examples.size()).append(examples.size() == 1 ? " packed sequence" : " packed sequences");
    }
    text.append(", ").append(String.format("%,d", tokens())).append(" tokens");
    if (truncated > 0) {
      text.append("; ").append(truncated).append(" cut to cutoff-len ").append(cutoffLen);
    }
    if (dropped > 0) {
      text.append("; ").append(dropped).append(" dropped (cutoff-len ").append(cutoffLen)
          .append(dropped == 1 ? " cut away its whole answer)" : " cut away their whole answers)");
    }
    if (badLines.count() > 0) {
      text.append("\n").append(badLines.summary());
    }
    return text.toString();
  }
}
