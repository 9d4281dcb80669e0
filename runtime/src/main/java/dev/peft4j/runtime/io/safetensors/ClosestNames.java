package dev.peft4j.runtime.io.safetensors;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/** "The closest names are …" for a tensor name that does not exist. */
final class ClosestNames {

  private static final int SHOWN = 3;

  private ClosestNames() {}

  /** {@code "; the closest names are: a, b, c"}, or a note that there are no tensors at all. */
  static String describe(String name, Collection<String> names) {
    if (names.isEmpty()) {
      return "; it holds no tensors at all";
    }
    List<String> closest = closest(name, names, SHOWN);
    return "; the closest names are: " + String.join(", ", closest)
        + (names.size() > closest.size() ? " (of " + names.size() + " tensors)" : "");
  }

  /** Up to {@code count} names, nearest to {@code name} first (edit distance, then name order). */
  static List<String> closest(String name, Collection<String> names, int count) {
    return names.stream()
        .map(n -> Map.entry(n, distance(name, n)))
        .sorted(Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
        .limit(count)
        .map(Map.Entry::getKey)
        .toList();
  }

  /** Levenshtein distance, two rows at a time. */
  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
