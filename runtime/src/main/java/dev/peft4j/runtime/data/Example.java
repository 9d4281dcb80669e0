package dev.peft4j.runtime.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * One training sequence: token ids and, aligned with them, the labels, as transformers has them: {@code labels[i]}
 * is {@code inputIds[i]} where that token is learned and {@link #IGNORE} ({@code -100}) where it is not (the prompt,
 * padding). The model shifts them itself: the logits at position {@code i} are scored against {@code labels[i + 1]},
 * so {@code labels[0]} never counts.
 */
public record Example(int[] inputIds, int[] labels) {

  /** The label of a token that is not learned: PyTorch's {@code ignore_index}. */
  public static final int IGNORE = -100;

  public Example {
    Objects.requireNonNull(inputIds, "inputIds is null");
    Objects.requireNonNull(labels, "labels is null");
    if (inputIds.length != labels.length) {
      throw new IllegalArgumentException("inputIds has " + inputIds.length + " tokens but labels has " + labels.length);
    }
    if (inputIds.length == 0) {
      throw new IllegalArgumentException("an example needs at least one token");
    }
  }

  /** An example that learns every token (continued pre-training). */
  public static Example allLearned(int[] inputIds) {
    return new Example(inputIds, inputIds.clone());
  }

  public int length() {
    return inputIds.length;
  }

  /** How many tokens the loss scores: labels other than {@link #IGNORE} after the first position. */
  public int predictedTokens() {
    int count = 0;
    for (int i = 1; i < labels.length; i++) {
      if (labels[i] != IGNORE) {
        count++;
      }
    }
    return count;
  }

  /** The first {@code maxLength} tokens (this example if it is not longer). */
  public Example truncate(int maxLength) {
    if (maxLength < 1) {
      throw new IllegalArgumentException("maxLength must be at least 1, got " + maxLength);
    }
    return length() <= maxLength ? this
        : new Example(Arrays.copyOf(inputIds, maxLength), Arrays.copyOf(labels, maxLength));
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Example e && Arrays.equals(inputIds, e.inputIds) && Arrays.equals(labels, e.labels);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(inputIds) + Arrays.hashCode(labels);
  }

  @Override
  public String toString() {
    return "Example[inputIds=" + Arrays.toString(inputIds) + ", labels=" + Arrays.toString(labels) + "]";
  }
}
