package dev.peft4j.runtime.data;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Exact match of generated answers against references: an answer counts when it equals its reference after leading
 * and trailing whitespace are trimmed from both (case and inner spaces count).
 *
 * @param correct answers equal to their reference
 * @param total answers compared
 */
public record ExactMatch(int correct, int total) {

  public ExactMatch {
    if (total < 0 || correct < 0 || correct > total) {
      throw new IllegalArgumentException("need 0 <= correct <= total, got " + correct + " of " + total);
    }
  }

  /**
   * Compares {@code predicted.get(i)} with {@code references.get(i)} for every i.
   *
   * @throws IllegalArgumentException when the lists differ in length
   */
  public static ExactMatch of(List<String> predicted, List<String> references) {
    Objects.requireNonNull(predicted, "predicted is null");
    Objects.requireNonNull(references, "references is null");
    if (predicted.size() != references.size()) {
      throw new IllegalArgumentException(predicted.size() + " predicted answers for " + references.size() + " references");
    }
    int correct = 0;
    for (int i = 0; i < predicted.size(); i++) {
      if (matches(predicted.get(i), references.get(i))) {
        correct++;
      }
    }
    return new ExactMatch(correct, predicted.size());
  }

  /** Whether one answer equals its reference, whitespace around both trimmed. */
  public static boolean matches(String predicted, String reference) {
    return predicted != null && reference != null && predicted.strip().equals(reference.strip());
  }

  /** The fraction of answers that match, 0 when there are none. */
  public double accuracy() {
    return total == 0 ? 0.0 : (double) correct / total;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "exact match %d/%d (%.1f%%)", correct, total, 100 * accuracy());
  }
}
