package dev.peft4j.runtime.config;

import com.typesafe.config.Config;
import dev.peft4j.api.config.SettingProblem;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A run's configuration as loaded.
 *
 * @param file the run file, if the run came from one
 * @param user what the user wrote (run file and overrides), under {@code peft4j}, unresolved
 * @param merged {@code user} over every module's defaults, resolved
 * @param notes what reading the file changed or left out, to print as warnings (a LLaMA-Factory file's keys that
 *     have no effect)
 * @param overwrite the file asks to start over in an output folder that holds another run ({@code --overwrite})
 * @param resume the file asks to continue the run in the output folder ({@code --resume})
 */
public record RunConfig(Optional<Path> file, Config user, Config merged, List<SettingProblem> notes, boolean overwrite,
    boolean resume) {
  public RunConfig {
    Objects.requireNonNull(file, "file is null");
    Objects.requireNonNull(user, "user is null");
    Objects.requireNonNull(merged, "merged is null");
    notes = List.copyOf(notes);
  }

  /** A run whose reading changed nothing. */
  public RunConfig(Optional<Path> file, Config user, Config merged) {
    this(file, user, merged, List.of(), false, false);
  }

  /** The name shown to users for the run ({@code run.conf}, or {@code the given settings}). */
  public String displayName() {
    return file.map(Path::toString).orElse("the given settings");
  }
}
