package dev.peft4j.runtime.config;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A run's configuration as loaded.
 *
 * @param file the run file, if the run came from one
 * @param user what the user wrote (run file and overrides), under {@code peft4j}, unresolved
 * @param merged {@code user} over every module's defaults, resolved
 */
public record RunConfig(Optional<Path> file, Config user, Config merged) {
  public RunConfig {
    Objects.requireNonNull(file, "file is null");
    Objects.requireNonNull(user, "user is null");
    Objects.requireNonNull(merged, "merged is null");
  }

  /** The name shown to users for the run ({@code run.conf}, or {@code the given settings}). */
  public String displayName() {
    return file.map(Path::toString).orElse("the given settings");
  }
}
