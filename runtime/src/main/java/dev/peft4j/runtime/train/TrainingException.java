package dev.peft4j.runtime.train;

import dev.peft4j.api.Peft4jException;

/** Training stopped: a non-finite loss or gradient, or a checkpoint that cannot be used. */
public final class TrainingException extends Peft4jException {
  private static final long serialVersionUID = 1L;

  public TrainingException(String message) {
    super(message);
  }

  public TrainingException(String message, Throwable cause) {
    super(message, cause);
  }
}
