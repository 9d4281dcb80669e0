package dev.peft4j.runtime.data;

import java.util.Arrays;

/** Builds an example from encoded pieces, each learned or masked. */
final class Segments {

  private int[] ids = new int[64];
  private int[] labels = new int[64];
  private int length;

  /** Appends ids that are learned ({@code learned}) or masked out of the loss. */
  Segments add(int[] pieceIds, boolean learned) {
    if (length + pieceIds.length > ids.length) {
      int capacity = Math.max(ids.length * 2, length + pieceIds.length);
      ids = Arrays.copyOf(ids, capacity);
      labels = Arrays.copyOf(labels, capacity);
    }
    System.arraycopy(pieceIds, 0, ids, length, pieceIds.length);
    if (learned) {
      System.arraycopy(pieceIds, 0, labels, length, pieceIds.length);
    } else {
      Arrays.fill(labels, length, length + pieceIds.length, Example.IGNORE);
    }
    length += pieceIds.length;
    return this;
  }

  Segments add(int id, boolean learned) {
    return add(new int[] {id}, learned);
  }

  int[] ids() {
    return Arrays.copyOf(ids, length);
  }

  Example example() {
    return new Example(Arrays.copyOf(ids, length), Arrays.copyOf(labels, length));
  }
}
