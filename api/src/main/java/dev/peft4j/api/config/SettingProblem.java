package dev.peft4j.api.config;

import static org.apiguardian.api.API.Status.STABLE;

import java.util.Objects;
import org.apiguardian.api.API;

/**
 * One thing wrong with a run's settings.
 *
 * @param path the full key, e.g. {@code peft4j.lora.rank}
 * @param origin where it was set, e.g. {@code run.conf:12}, or {@code default} for a default
 * @param message what is wrong and what to do
 */
@API(status = STABLE, since = "0.1")
public record SettingProblem(String path, String origin, String message) {
  public SettingProblem {
    Objects.requireNonNull(path, "path is null");
    Objects.requireNonNull(origin, "origin is null");
    Objects.requireNonNull(message, "message is null");
  }

  @Override
  public String toString() {
    return path + " (" + origin + "): " + message;
  }
}
