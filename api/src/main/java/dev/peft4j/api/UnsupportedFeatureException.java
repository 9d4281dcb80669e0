package dev.peft4j.api;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/** A method or the runtime was asked for something it does not do (yet); the message says what. */
@API(status = STABLE, since = "0.1")
public class UnsupportedFeatureException extends Peft4jException {
  private static final long serialVersionUID = 1L;

  public UnsupportedFeatureException(String message) {
    super(message);
  }
}
