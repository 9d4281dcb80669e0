package dev.peft4j.api;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/**
 * The root of every exception peft4j throws on purpose. Its message is written for the user: what
 * is wrong, where, and what to do.
 */
@API(status = STABLE, since = "0.1")
public class Peft4jException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public Peft4jException(String message) {
    super(message);
  }

  public Peft4jException(String message, Throwable cause) {
    super(message, cause);
  }
}
