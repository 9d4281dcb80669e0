package dev.peft4j.runtime.io.safetensors;

import dev.peft4j.api.config.Suggestions;
import java.util.Collection;
import java.util.List;

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

  static List<String> closest(String name, Collection<String> names, int count) {
    return Suggestions.nearest(name, names, count);
  }
}
