package dev.peft4j.runtime.data;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.runtime.nn.Tensors;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Examples collated into rectangles {@code [B, T]}, {@code T} the longest example of the batch; shorter ones are
 * padded on the right: {@code inputIds} with the pad id, {@code labels} with {@link Example#IGNORE},
 * {@code attentionMask} with 0 (1 on real tokens).
 */
public record Batch(int[][] inputIds, int[][] labels, int[][] attentionMask) {

  public Batch {
    Objects.requireNonNull(inputIds, "inputIds is null");
    Objects.requireNonNull(labels, "labels is null");
    Objects.requireNonNull(attentionMask, "attentionMask is null");
    if (inputIds.length == 0 || labels.length != inputIds.length || attentionMask.length != inputIds.length) {
      throw new IllegalArgumentException("a batch needs at least one row, and as many rows of labels and mask as of ids");
    }
  }

  /** Right-pads {@code examples} to the longest of them. */
  public static Batch collate(List<Example> examples, int padId) {
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("cannot collate an empty list of examples");
    }
    int length = examples.stream().mapToInt(Example::length).max().getAsInt();
    int[][] ids = new int[examples.size()][];
    int[][] labels = new int[examples.size()][];
    int[][] mask = new int[examples.size()][length];
    for (int row = 0; row < examples.size(); row++) {
      Example example = examples.get(row);
      ids[row] = Arrays.copyOf(example.inputIds(), length);
      labels[row] = Arrays.copyOf(example.labels(), length);
      Arrays.fill(ids[row], example.length(), length, padId);
      Arrays.fill(labels[row], example.length(), length, Example.IGNORE);
      Arrays.fill(mask[row], 0, example.length(), 1);
    }
    return new Batch(ids, labels, mask);
  }

  /** B: the number of examples. */
  public int size() {
    return inputIds.length;
  }

  /** T: the length of the longest example. */
  public int length() {
    return inputIds[0].length;
  }

  /** Tokens that are not padding. */
  public long realTokens() {
    long count = 0;
    for (int[] row : attentionMask) {
      for (int value : row) {
        count += value;
      }
    }
    return count;
  }

  /** Tokens the loss scores: labels other than {@link Example#IGNORE} after each row's first position. */
  public long predictedTokens() {
    long count = 0;
    for (int[] row : labels) {
      for (int i = 1; i < row.length; i++) {
        if (row[i] != Example.IGNORE) {
          count++;
        }
      }
    }
    return count;
  }

  /** The batch as INT64 arrays {@code [B, T]} on {@code manager}; the caller closes them (or the manager). */
  public BatchArrays toNDArrays(NDManager manager) {
    Shape shape = new Shape(size(), length());
    return new BatchArrays(
        Tensors.of(manager, flatten(inputIds), shape),
        Tensors.of(manager, flatten(labels), shape),
        Tensors.of(manager, flatten(attentionMask), shape));
  }

  private static long[] flatten(int[][] rows) {
    int width = rows[0].length;
    long[] flat = new long[rows.length * width];
    for (int row = 0; row < rows.length; row++) {
      for (int col = 0; col < width; col++) {
        flat[row * width + col] = rows[row][col];
      }
    }
    return flat;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Batch b && Arrays.deepEquals(inputIds, b.inputIds) && Arrays.deepEquals(labels, b.labels)
        && Arrays.deepEquals(attentionMask, b.attentionMask);
  }

  @Override
  public int hashCode() {
    return Objects.hash(Arrays.deepHashCode(inputIds), Arrays.deepHashCode(labels), Arrays.deepHashCode(attentionMask));
  }

  @Override
  public String toString() {
    return "Batch[" + size() + " x " + length() + ", inputIds=" + Arrays.deepToString(inputIds) + ", labels="
        + Arrays.deepToString(labels) + "]";
  }
}
