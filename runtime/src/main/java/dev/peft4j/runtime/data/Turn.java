package dev.peft4j.runtime.data;

import java.util.Objects;

/** One message of a conversation. */
public record Turn(Role role, String content) {
  public Turn {
    Objects.requireNonNull(role, "role is null");
    Objects.requireNonNull(content, "content is null");
  }

  public static Turn system(String content) {
    return new Turn(Role.SYSTEM, content);
  }

  public static Turn user(String content) {
    return new Turn(Role.USER, content);
  }

  public static Turn assistant(String content) {
    return new Turn(Role.ASSISTANT, content);
  }
}
