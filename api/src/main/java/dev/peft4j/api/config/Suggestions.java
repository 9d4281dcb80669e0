package dev.peft4j.api.config;

import static org.apiguardian.api.API.Status.MAINTAINED;

import java.util.Collection;
import java.util.Optional;
import org.apiguardian.api.API;

/** "Did you mean …?" for misspelt keys, method ids and module names. */
@API(status = MAINTAINED, since = "0.1")
public final class Suggestions {

  private Suggestions() {}

  /** The candidate closest to {@code word}, if it is close enough to be a likely typo. */
  public static Optional<String> closest(String word, Collection<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : candidates) {
      int distance = distance(word.toLowerCase(java.util.Locale.ROOT), candidate.toLowerCase(java.util.Locale.ROOT));
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    int allowed = Math.max(1, Math.min(3, word.length() / 3));
    return best != null && bestDistance <= allowed ? Optional.of(best) : Optional.empty();
  }

  /** Up to {@code count} candidates, nearest to {@code word} first (then in name order), however far. */
  public static java.util.List<String> nearest(String word, Collection<String> candidates, int count) {
    String lower = word.toLowerCase(java.util.Locale.ROOT);
    return candidates.stream()
        .sorted(java.util.Comparator.comparingInt((String c) -> distance(lower, c.toLowerCase(java.util.Locale.ROOT)))
            .thenComparing(java.util.Comparator.naturalOrder()))
        .limit(count)
        .toList();
  }

  /** Optimal string alignment distance: Levenshtein plus transposition of neighbours ({@code rnak} → {@code rank} is 1). */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
