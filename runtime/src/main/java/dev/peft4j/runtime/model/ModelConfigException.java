package dev.peft4j.runtime.model;

import dev.peft4j.api.Peft4jException;

/** A model folder's config.json is missing, malformed or of an unsupported kind. */
public final class ModelConfigException extends Peft4jException {
  private static final long serialVersionUID = 1L;

  public ModelConfigException(String message) {
    super(message);
  }
}
