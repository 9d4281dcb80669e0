package dev.peft4j.runtime.data;

import java.util.Locale;

/** Who speaks in a turn of a conversation. */
public enum Role {
  SYSTEM, USER, ASSISTANT;

  /** The name chat templates see in {@code message['role']}: {@code system}, {@code user}, {@code assistant}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
