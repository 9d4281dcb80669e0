package dev.peft4j.runtime.data;

import java.util.Objects;

/** A text for continued pre-training: every token of it is learned. */
public record PlainText(String text) implements Sample {
  public PlainText {
    Objects.requireNonNull(text, "text is null");
    if (text.isEmpty()) {
      throw new IllegalArgumentException("the text is empty");
    }
  }
}
