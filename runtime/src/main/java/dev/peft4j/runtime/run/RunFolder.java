package dev.peft4j.runtime.run;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import dev.peft4j.api.ApiVersion;
import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.io.AtomicFolders;
import dev.peft4j.runtime.io.Checksums;
import dev.peft4j.runtime.plugin.Discovery;
import dev.peft4j.runtime.train.Checkpoints;
import dev.peft4j.runtime.train.FileCheckpoints;
import dev.peft4j.runtime.train.RunIdentity;
import dev.peft4j.runtime.train.TrainingException;
import dev.peft4j.runtime.validate.ValidationReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * What {@code output.dir} promises: one run at a time ({@link RunLock}), no temporary folder of an interrupted run
 * left behind, no new run on top of another run's checkpoints or model unless told to overwrite them, and a
 * {@code --resume} that continues only the run that wrote the checkpoint (same settings and data, but the changes
 * the user accepts by name).
 */
public final class RunFolder {

  /** How a run starts. */
  public record Start(boolean resume, boolean overwrite, Set<String> acceptedChanges) {
    public static final Start NEW = new Start(false, false, Set.of());
    public static final Start RESUME = new Start(true, false, Set.of());

    public Start {
      acceptedChanges = acceptedChanges.stream().map(RunFolder::shortKey).collect(Collectors.toUnmodifiableSet());
      if (resume && overwrite) {
        throw new TrainingException("--resume continues the run in output.dir and --overwrite replaces it: choose one");
      }
      if (!resume && !acceptedChanges.isEmpty()) {
        throw new TrainingException("--accept-change is for --resume: a new run has no checkpoint to differ from");
      }
      List<String> refused = acceptedChanges.stream().filter(key -> !CHANGEABLE.contains(key)).sorted().toList();
      if (!refused.isEmpty()) {
        throw new TrainingException("--accept-change " + String.join(", ", refused) + ": a resumed run can change only "
            + String.join(", ", CHANGEABLE.stream().sorted().toList())
            + " (a longer schedule, a moved model or data file); other settings make another run: train it into a "
            + "new output.dir");
      }
    }
  }

  /**
   * Settings a run may resume with changed, when the user accepts them by name: the schedule extended (its
   * learning rate follows the new length from the resumed step on), or a file that moved (the data's contents
   * are compared on their own).
   */
  static final Set<String> CHANGEABLE = Set.of("training.max-steps", "training.epochs", "model.path", "data.train");

  /** Settings that change what a run prints and keeps, never what it trains: not part of its identity. */
  static final Set<String> INFORMATIONAL = Set.of("training.logging-steps", "training.eval-steps", "training.save-steps",
      "training.threads", "output.dir", "plugin-dirs", "data.eval");

  /** What a run leaves in output.dir; --overwrite removes them. */
  static final List<String> OUTPUTS = List.of("checkpoints", "model", "adapter", "metrics.jsonl", "loss.png");

  private RunFolder() {}

  /**
   * Prepares {@code outputDir} for a run that holds its lock: removes the temporary folders an interrupted run left,
   * and refuses to start a new run where another run's results are, unless {@code start} overwrites them (then they
   * are removed first).
   */
  public static void prepare(Path outputDir, Start start, Consumer<String> out) {
    for (Path folder : List.of(outputDir, outputDir.resolve("checkpoints"))) {
      AtomicFolders.cleanStale(folder).forEach(name ->
          out.accept("removed " + folder.resolve(name) + ", a temporary folder an interrupted run left"));
    }
    if (start.resume()) {
      return;
    }
    List<String> found = new ArrayList<>();
    if (new FileCheckpoints(outputDir.resolve("checkpoints"), 0).any()) {
      found.add("checkpoints in checkpoints/");
    }
    for (String name : List.of("model", "adapter")) {
      if (Files.exists(outputDir.resolve(name))) {
        found.add("a trained " + name + " in " + name + "/");
      }
    }
    if (found.isEmpty()) {
      return;
    }
    if (!start.overwrite()) {
      throw new TrainingException("output.dir " + outputDir + " holds another run's results (" + String.join(", ", found)
          + "): a new run would mix with them. Continue that run with --resume, replace it with --overwrite, or "
          + "choose another output.dir");
    }
    for (String name : OUTPUTS) {
      Path path = outputDir.resolve(name);
      try {
        if (Files.isDirectory(path)) {
          AtomicFolders.delete(path);
        } else {
          Files.deleteIfExists(path);
        }
      } catch (IOException e) {
        throw new TrainingException("--overwrite: cannot delete " + path + ": " + e + ". Check its permissions", e);
      }
    }
    out.accept("--overwrite: removed the previous run's " + String.join(", ", found));
  }

  /**
   * The identity of a run: the resolved settings of the core blocks and of the chosen methods (paths as resolved,
   * informational settings left out), the training data's name, size and checksum, and the code's version.
   */
  public static RunIdentity identity(ValidationReport report, Discovery discovery) {
    Config merged = report.run().merged();
    List<String> blocks = new ArrayList<>(List.of("peft4j.methods", "peft4j.model", "peft4j.data", "peft4j.training"));
    report.settings().keySet().forEach(id -> blocks.add(discovery.methods().get(id).descriptor().configPath()));
    SortedMap<String, String> settings = new TreeMap<>();
    for (String block : blocks) {
      if (!merged.hasPath(block)) {
        continue;
      }
      if (block.equals("peft4j.methods")) {
        settings.put("methods", merged.getValue(block).render(ConfigRenderOptions.concise()));
        continue;
      }
      for (Map.Entry<String, ConfigValue> entry : merged.getConfig(block).entrySet()) {
        settings.put(shortKey(block + "." + entry.getKey()), entry.getValue().render(ConfigRenderOptions.concise()));
      }
    }
    CoreSettings core = report.core();
    // As resolved, so that the same run file from another working folder is the same run.
    core.model().path().ifPresent(path -> settings.put("model.path", path.toAbsolutePath().normalize().toString()));
    core.model().adapterPath().ifPresent(path -> settings.put("model.adapter-path", path.toAbsolutePath().normalize().toString()));
    if (!core.data().train().isEmpty()) {
      settings.put("data.train", String.join(", ",
          core.data().train().stream().map(path -> path.toAbsolutePath().normalize().toString()).toList()));
    }
    INFORMATIONAL.forEach(settings::remove);
    String version = Peft4j.class.getPackage().getImplementationVersion();
    String data = core.data().train().isEmpty() ? "(none)"
        : String.join("; ", core.data().train().stream().map(RunFolder::dataIdentity).toList());
    return new RunIdentity(settings, data,
        "peft4j " + (version == null ? "dev" : version) + " (API " + ApiVersion.CURRENT + ")");
  }

  private static String dataIdentity(Path file) {
    try {
      return file.getFileName() + ", " + Files.size(file) + " bytes, " + Checksums.of(file);
    } catch (IOException e) {
      throw new TrainingException("cannot read the training data " + file + ": " + e, e);
    }
  }

  /**
   * Refuses to resume from {@code saved} unless the run that wrote it is this one: every difference is named, and
   * only those the user accepted (and may accept) let the run go on.
   */
  public static void requireSameRun(Checkpoints.Saved saved, RunIdentity now, Start start, Consumer<String> out) {
    Objects.requireNonNull(now, "now is null");
    Optional<RunIdentity> then = FileCheckpoints.identity(saved.folder());
    if (then.isEmpty()) {
      throw new TrainingException("checkpoint " + saved.folder() + " does not say which run wrote it (no "
          + "run.json: an older peft4j wrote it), so resuming it could continue another run. Start the run again "
          + "(train with --overwrite), or resume it with the peft4j that wrote it");
    }
    List<RunIdentity.Difference> differences = now.differences(then.get());
    List<RunIdentity.Difference> refused = differences.stream()
        .filter(d -> !start.acceptedChanges().contains(d.key())).toList();
    if (!refused.isEmpty()) {
      boolean changeable = refused.stream().allMatch(d -> CHANGEABLE.contains(d.key()));
      throw new TrainingException("checkpoint " + saved.folder() + " was written by a run with other settings: "
          + refused.stream().map(RunIdentity.Difference::toString).collect(Collectors.joining("; "))
          + ". Resume with the settings it was written with" + (changeable
              ? ", or accept the change with --accept-change " + refused.stream().map(RunIdentity.Difference::key)
                  .collect(Collectors.joining(" --accept-change "))
              : "; a run with other settings is a new run: train it into another output.dir, or with --overwrite"));
    }
    differences.forEach(d -> out.accept("resuming with a changed setting, as accepted: " + d));
    if (!then.get().code().equals(now.code())) {
      out.accept("note: checkpoint " + saved.folder().getFileName() + " was written by " + then.get().code()
          + "; this is " + now.code());
    }
  }

  /** {@code training.max-steps} for {@code peft4j.training.max-steps}: as a user writes it in a run file or --set. */
  static String shortKey(String key) {
    return key.startsWith("peft4j.") ? key.substring("peft4j.".length()) : key;
  }
}
