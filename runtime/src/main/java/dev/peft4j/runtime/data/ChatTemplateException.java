package dev.peft4j.runtime.data;

import dev.peft4j.api.Peft4jException;

/** A chat template cannot render a conversation, or renders it so that prompt and answers cannot be told apart. */
public final class ChatTemplateException extends Peft4jException {
  private static final long serialVersionUID = 1L;

  public ChatTemplateException(String message) {
    super(message);
  }

  public ChatTemplateException(String message, Throwable cause) {
    super(message, cause);
  }
}
