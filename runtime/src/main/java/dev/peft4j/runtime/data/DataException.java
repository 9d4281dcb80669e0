package dev.peft4j.runtime.data;

import dev.peft4j.api.Peft4jException;

/** A data file is missing, unreadable, or has a bad line; the message names the file and the line. */
public final class DataException extends Peft4jException {
  private static final long serialVersionUID = 1L;

  public DataException(String message) {
    super(message);
  }

  public DataException(String message, Throwable cause) {
    super(message, cause);
  }
}
