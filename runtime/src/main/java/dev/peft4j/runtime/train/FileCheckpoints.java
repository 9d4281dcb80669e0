package dev.peft4j.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.ToNumberPolicy;
import dev.peft4j.api.Peft4jException;
import dev.peft4j.runtime.io.AtomicFolders;
import dev.peft4j.runtime.io.Checksums;
import dev.peft4j.runtime.io.safetensors.SafetensorsFile;
import dev.peft4j.runtime.io.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checkpoints as folders {@code <dir>/step-000100/} holding {@code trainable.safetensors},
 * {@code optimizer.safetensors}, {@code run.json} (the {@link RunIdentity} of the run that wrote it) and
 * {@code trainer_state.json} (where the run stands, and a checksum of each other file). A folder is written under a
 * temporary name and renamed when complete, so a crash never leaves a half checkpoint that looks whole; the
 * checksums catch one damaged afterwards, and {@link #latest} passes over a damaged one for the newest good one.
 */
public final class FileCheckpoints implements Checkpoints {

  static final String STATE = "trainer_state.json";
  static final String TRAINABLE = "trainable.safetensors";
  static final String OPTIMIZER = "optimizer.safetensors";
  static final String RUN = "run.json";

  /** At most 18 digits: a longer name is no checkpoint of ours, and would not parse as a long. */
  private static final Pattern STEP = Pattern.compile("step-(\\d{1,18})");
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting()
      .setObjectToNumberStrategy(ToNumberPolicy.LONG_OR_DOUBLE).create();

  private final Path dir;
  private final int keep;
  private final RunIdentity identity;
  private final Consumer<String> notes;

  /** Checkpoints without a run identity (tests, programs that drive a {@link Trainer} themselves). */
  public FileCheckpoints(Path dir, int keep) {
    this(dir, keep, null, note -> {});
  }

  /**
   * @param keep how many of the newest checkpoints to keep (older ones are deleted); 0 keeps all
   * @param identity the run's identity, written into each checkpoint; null for none
   * @param notes where to say that a damaged checkpoint was passed over
   */
  public FileCheckpoints(Path dir, int keep, RunIdentity identity, Consumer<String> notes) {
    this.dir = Objects.requireNonNull(dir, "dir is null");
    this.keep = keep;
    this.identity = identity;
    this.notes = Objects.requireNonNull(notes, "notes is null");
  }

  /** @throws TrainingException when a weight or optimizer moment is not finite: such a checkpoint is never good */
  @Override
  public Path save(TrainerState state, Map<String, NDArray> trainable, Map<String, NDArray> optimizer) {
    Path target = dir.resolve(String.format("step-%06d", state.step()));
    FiniteWeights.require(trainable, "writing the checkpoint " + target);
    FiniteWeights.require(optimizer, "writing the checkpoint " + target + " (its optimizer state)");
    AtomicFolders.write(target, folder -> {
      SafetensorsWriter.write(folder.resolve(TRAINABLE), trainable, Map.of("format", "pt"));
      SafetensorsWriter.write(folder.resolve(OPTIMIZER), optimizer, Map.of("format", "pt"));
      List<String> files = new ArrayList<>(List.of(TRAINABLE, OPTIMIZER));
      if (identity != null) {
        AtomicFolders.writeDurably(folder.resolve(RUN), identity.toJson());
        files.add(RUN);
      }
      Map<String, String> checksums = new LinkedHashMap<>();
      for (String file : files) {
        checksums.put(file, Checksums.of(folder.resolve(file)));
      }
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("step", state.step());
      json.put("total_steps", state.totalSteps());
      json.put("seed", state.seed());
      json.put("skipped_steps", state.skippedSteps());
      json.put("optimizer_steps", state.optimizerSteps());
      json.put("data_fingerprint", state.dataFingerprint());
      json.put("hooks", state.hooks());
      json.put("checksums", checksums);
      AtomicFolders.writeDurably(folder.resolve(STATE), GSON.toJson(json));
    });
    prune();
    return target;
  }

  /**
   * The newest checkpoint that reads back whole. A damaged one (a checksum that does not match, a state that
   * contradicts itself) is passed over for the one before it, with a note saying so.
   *
   * @throws TrainingException when there are checkpoints but every one is damaged
   */
  @Override
  public Optional<Saved> latest(NDManager manager) {
    List<Path> folders = steps();
    List<String> damaged = new ArrayList<>();
    for (int i = folders.size() - 1; i >= 0; i--) {
      Path folder = folders.get(i);
      try {
        Saved saved = readChecked(folder, manager);
        if (!damaged.isEmpty()) {
          notes.accept("resuming from " + folder.getFileName() + ", the newest good checkpoint, instead");
        }
        return Optional.of(saved);
      } catch (Damaged e) {
        damaged.add(folder.getFileName() + " (" + e.getMessage() + ")");
        notes.accept("warning: checkpoint " + folder + " is damaged: " + e.getMessage() + "; passed over"
            + (i > 0 ? " for " + folders.get(i - 1).getFileName() : ""));
      }
    }
    if (!damaged.isEmpty()) {
      throw new TrainingException("no checkpoint in " + dir + " can be resumed, every one is damaged: "
          + String.join("; ", damaged) + ". Start the run again (train with --overwrite)");
    }
    return Optional.empty();
  }

  /**
   * Reads the checkpoint in {@code folder}, checking it first.
   *
   * @throws TrainingException when it is damaged, naming what is wrong
   */
  public static Saved read(Path folder, NDManager manager) {
    try {
      return readChecked(folder, manager);
    } catch (Damaged e) {
      throw new TrainingException("checkpoint " + folder + " is damaged: " + e.getMessage() + ". Resume from an "
          + "earlier checkpoint (delete this one, or resume with --resume, which passes over damaged ones)", e);
    }
  }

  /** The identity of the run that wrote {@code folder}, if it holds one whose checksum matched when it was read. */
  public static Optional<RunIdentity> identity(Path folder) {
    Path file = folder.resolve(RUN);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(RunIdentity.fromJson(Files.readString(file, StandardCharsets.UTF_8)));
    } catch (IOException | IllegalArgumentException e) {
      throw new TrainingException("checkpoint " + folder + ": " + RUN + " cannot be read (" + e.getMessage() + ")", e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Saved readChecked(Path folder, NDManager manager) throws Damaged {
    Map<String, Object> json;
    try {
      json = GSON.fromJson(Files.readString(folder.resolve(STATE), StandardCharsets.UTF_8), Map.class);
    } catch (IOException | JsonParseException e) {
      throw new Damaged(STATE + " cannot be read (" + e.getMessage() + ")");
    }
    if (json == null) {
      throw new Damaged(STATE + " is empty");
    }
    if (!(json.get("checksums") instanceof Map<?, ?> checksums) || checksums.isEmpty()) {
      throw new Damaged(STATE + " has no checksums of the checkpoint's files (an edited file, or one an older peft4j "
          + "wrote), so its contents cannot be trusted");
    }
    for (String file : List.of(TRAINABLE, OPTIMIZER)) {
      if (!checksums.containsKey(file)) {
        throw new Damaged(STATE + " has no checksum of " + file);
      }
    }
    for (Map.Entry<?, ?> entry : checksums.entrySet()) {
      Path file = folder.resolve(String.valueOf(entry.getKey())).normalize();
      if (!file.getParent().equals(folder.normalize())) {
        throw new Damaged(STATE + " names a checksum of " + entry.getKey() + ", which is not a file of the checkpoint");
      }
      String actual;
      try {
        actual = Checksums.of(file);
      } catch (IOException e) {
        throw new Damaged(entry.getKey() + " cannot be read (" + e + ")");
      }
      if (!actual.equals(entry.getValue())) {
        throw new Damaged(entry.getKey() + " does not match its checksum (" + actual + ", expected " + entry.getValue()
            + "): the file changed after it was written");
      }
    }
    TrainerState state = state(folder, json);
    Map<String, NDArray> trainable = tensors(folder.resolve(TRAINABLE), manager);
    try {
      return new Saved(folder, state, trainable, tensors(folder.resolve(OPTIMIZER), manager));
    } catch (Damaged e) {
      trainable.values().forEach(NDArray::close);
      throw e;
    }
  }

  /** The state {@code json} describes, if it is consistent with itself and with its folder's name. */
  @SuppressWarnings("unchecked")
  private static TrainerState state(Path folder, Map<String, Object> json) throws Damaged {
    long step = whole(json, "step");
    long total = whole(json, "total_steps");
    long skipped = whole(json, "skipped_steps");
    var matcher = STEP.matcher(folder.getFileName().toString());
    if (matcher.matches() && Long.parseLong(matcher.group(1)) != step) {
      throw new Damaged(STATE + " says step " + step + ", but the folder is " + folder.getFileName());
    }
    if (step < 1 || step > total) {
      throw new Damaged(STATE + " says step " + step + " of " + total + ": a checkpoint is written after a step "
          + "of the run, so its step is between 1 and total_steps");
    }
    if (skipped < 0 || skipped > step) {
      throw new Damaged(STATE + " says " + skipped + " skipped steps after " + step + " steps");
    }
    if (!(json.get("optimizer_steps") instanceof Map<?, ?> counts)) {
      throw new Damaged(STATE + " has no optimizer_steps object");
    }
    Map<String, Long> optimizerSteps = new LinkedHashMap<>();
    for (Map.Entry<?, ?> entry : counts.entrySet()) {
      if (!(entry.getValue() instanceof Long n) || n < 0 || n > step) {
        throw new Damaged(STATE + ": optimizer_steps of " + entry.getKey() + " is " + entry.getValue()
            + ", not a count between 0 and the step " + step);
      }
      optimizerSteps.put(String.valueOf(entry.getKey()), n);
    }
    Object hooks = json.get("hooks");
    if (hooks != null && !(hooks instanceof List<?> list && list.stream().allMatch(String.class::isInstance))) {
      throw new Damaged(STATE + ": hooks must be a list of method ids, got " + hooks);
    }
    return new TrainerState(step, total, whole(json, "seed"), (int) skipped, optimizerSteps,
        json.get("data_fingerprint") instanceof Long n ? n : 0, hooks == null ? List.of() : (List<String>) hooks);
  }

  private static long whole(Map<String, Object> json, String key) throws Damaged {
    if (!(json.get(key) instanceof Long n)) {
      throw new Damaged(STATE + ": " + key + " must be an integer, got " + json.get(key));
    }
    return n;
  }

  private static Map<String, NDArray> tensors(Path file, NDManager manager) throws Damaged {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    try (SafetensorsFile safetensors = SafetensorsFile.open(file)) {
      for (String name : safetensors.tensors().keySet()) {
        tensors.put(name, safetensors.read(name, manager));
      }
      return tensors;
    } catch (Peft4jException e) {
      tensors.values().forEach(NDArray::close);
      throw new Damaged(e.getMessage());
    }
  }

  private List<Path> steps() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> list = Files.list(dir)) {
      // By step number: at a million steps the names grow a digit and no longer sort as text.
      return list.filter(p -> STEP.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p))
          .sorted(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(5))))
          .toList();
    } catch (IOException e) {
      throw new TrainingException("cannot list the checkpoints in " + dir + ": " + e, e);
    }
  }

  /** Whether {@code dir} holds a checkpoint folder. */
  public boolean any() {
    return !steps().isEmpty();
  }

  private void prune() {
    if (keep <= 0) {
      return;
    }
    List<Path> folders = steps();
    for (int i = 0; i < folders.size() - keep; i++) {
      AtomicFolders.delete(folders.get(i));
    }
  }

  /** What is wrong with a checkpoint that cannot be trusted; never leaves this class. */
  private static final class Damaged extends Exception {
    private static final long serialVersionUID = 1L;

    Damaged(String message) {
      super(message, null, false, false);
    }
  }
}
