package dev.peft4j.api;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/** A plugin could not be loaded or used: a duplicate id, an incompatible API version, a broken jar. */
@API(status = STABLE, since = "0.1")
public class PluginException extends Peft4jException {
  private static final long serialVersionUID = 1L;

  public PluginException(String message) {
    super(message);
  }

  public PluginException(String message, Throwable cause) {
    super(message, cause);
  }
}
