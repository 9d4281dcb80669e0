package dev.peft4j.runtime;

import java.util.List;

/** Lists of names in messages: the first few spelled out, the rest counted, so a message stays readable. */
public final class Names {

  private Names() {}

  /** {@code "a, b, c and 4 more"}: the first {@code shown} of {@code names}, joined by {@code separator}. */
  public static String firstFew(List<String> names, int shown, String separator) {
    String listed = String.join(separator, names.subList(0, Math.min(shown, names.size())));
    return names.size() > shown ? listed + " and " + (names.size() - shown) + " more" : listed;
  }
}
