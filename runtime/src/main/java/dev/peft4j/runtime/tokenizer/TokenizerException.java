package dev.peft4j.runtime.tokenizer;

import dev.peft4j.api.Peft4jException;

/** A tokenizer's files are missing or malformed, or a text cannot be encoded with it. The message names the file. */
public final class TokenizerException extends Peft4jException {
  private static final long serialVersionUID = 1L;

  public TokenizerException(String message) {
    super(message);
  }

  public TokenizerException(String message, Throwable cause) {
    super(message, cause);
  }
}
