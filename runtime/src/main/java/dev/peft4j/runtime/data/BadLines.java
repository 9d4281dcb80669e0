package dev.peft4j.runtime.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The bad lines skipped while reading (with {@code data.skip-bad-lines = true}): how many, and the reasons of the
 * first few, each {@code file:line: what is wrong}.
 */
public record BadLines(int count, List<String> firstReasons) {

  /** How many reasons are kept. */
  public static final int KEPT_REASONS = 5;

  public static final BadLines NONE = new BadLines(0, List.of());

  public BadLines {
    Objects.requireNonNull(firstReasons, "firstReasons is null");
    firstReasons = List.copyOf(firstReasons);
    if (count < firstReasons.size()) {
      throw new IllegalArgumentException("count " + count + " is less than the " + firstReasons.size() + " reasons");
    }
  }

  /** This count plus another's, keeping the first reasons of both. */
  public BadLines plus(BadLines other) {
    List<String> reasons = new ArrayList<>(firstReasons);
    for (String reason : other.firstReasons) {
      if (reasons.size() < KEPT_REASONS) {
        reasons.add(reason);
      }
    }
    return new BadLines(count + other.count, reasons);
  }

  /** One more bad line. */
  public BadLines plus(String reason) {
    return plus(new BadLines(1, List.of(reason)));
  }

  /**
   * For the terminal: {@code "2 bad lines skipped:\n  data.jsonl:4: not valid JSON…\n  …"}, or an empty string when
   * there are none.
   */
  public String summary() {
    if (count == 0) {
      return "";
    }
    StringBuilder text = new StringBuilder().append(count).append(count == 1 ? " bad line" : " bad lines").append(" skipped:");
    firstReasons.forEach(reason -> text.append("\n  ").append(reason));
    if (count > firstReasons.size()) {
      text.append("\n  … and ").append(count - firstReasons.size()).append(" more");
    }
    return text.toString();
  }
}
