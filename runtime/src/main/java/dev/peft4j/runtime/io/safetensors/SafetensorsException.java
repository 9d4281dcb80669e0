package dev.peft4j.runtime.io.safetensors;

import dev.peft4j.api.Peft4jException;

/**
 * A safetensors file or checkpoint folder cannot be read or written: it is malformed, missing, holds a
 * tensor of an unexpected shape or dtype, or the disk refused. The message names the file (and the tensor,
 * if any), says what is wrong and what to do.
 */
public final class SafetensorsException extends Peft4jException {
  private static final long serialVersionUID = 1L;

  public SafetensorsException(String message) {
    super(message);
  }

  public SafetensorsException(String message, Throwable cause) {
    super(message, cause);
  }
}
