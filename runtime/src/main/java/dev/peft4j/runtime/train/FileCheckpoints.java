package dev.peft4j.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.ToNumberPolicy;
import dev.peft4j.runtime.io.AtomicFolders;
import dev.peft4j.runtime.io.safetensors.SafetensorsFile;
import dev.peft4j.runtime.io.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checkpoints as folders {@code <dir>/step-000100/} holding {@code trainable.safetensors},
 * {@code optimizer.safetensors} and {@code trainer_state.json}. A folder is written under a temporary
 * name and renamed when complete, so a crash never leaves a half checkpoint that looks whole.
 */
public final class FileCheckpoints implements Checkpoints {

  private static final Pattern STEP = Pattern.compile("step-(\\d+)");
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting()
      .setObjectToNumberStrategy(ToNumberPolicy.LONG_OR_DOUBLE).create();

  private final Path dir;
  private final int keep;

  /** @param keep how many of the newest checkpoints to keep (older ones are deleted); 0 keeps all */
  public FileCheckpoints(Path dir, int keep) {
    this.dir = dir;
    this.keep = keep;
  }

  @Override
  public Path save(TrainerState state, Map<String, NDArray> trainable, Map<String, NDArray> optimizer) {
    Path target = dir.resolve(String.format("step-%06d", state.step()));
    AtomicFolders.write(target, folder -> {
      SafetensorsWriter.write(folder.resolve("trainable.safetensors"), trainable, Map.of("format", "pt"));
      SafetensorsWriter.write(folder.resolve("optimizer.safetensors"), optimizer, Map.of("format", "pt"));
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("step", state.step());
      json.put("total_steps", state.totalSteps());
      json.put("seed", state.seed());
      json.put("skipped_steps", state.skippedSteps());
      json.put("optimizer_steps", state.optimizerSteps());
      json.put("data_fingerprint", state.dataFingerprint());
      json.put("hooks", state.hooks());
      AtomicFolders.writeDurably(folder.resolve("trainer_state.json"), GSON.toJson(json));
    });
    prune();
    return target;
  }

  @Override
  public Optional<Saved> latest(NDManager manager) {
    List<Path> folders = steps();
    if (folders.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(read(folders.get(folders.size() - 1), manager));
  }

  /** Reads the checkpoint in {@code folder}. */
  @SuppressWarnings("unchecked")
  public static Saved read(Path folder, NDManager manager) {
    try {
      Map<String, Object> json = GSON.fromJson(
          Files.readString(folder.resolve("trainer_state.json"), StandardCharsets.UTF_8), Map.class);
      Map<String, Long> optimizerSteps = new LinkedHashMap<>();
      ((Map<String, Object>) json.get("optimizer_steps")).forEach((k, v) -> optimizerSteps.put(k, ((Number) v).longValue()));
      TrainerState state = new TrainerState(((Number) json.get("step")).longValue(),
          ((Number) json.get("total_steps")).longValue(), ((Number) json.get("seed")).longValue(),
          ((Number) json.get("skipped_steps")).intValue(), optimizerSteps,
          json.get("data_fingerprint") instanceof Number n ? n.longValue() : 0,
          json.get("hooks") instanceof List<?> hooks ? hooks.stream().map(String.class::cast).toList() : List.of());
      return new Saved(folder, state, tensors(folder.resolve("trainable.safetensors"), manager),
          tensors(folder.resolve("optimizer.safetensors"), manager));
    } catch (IOException | JsonParseException | NullPointerException | ClassCastException e) {
      throw new TrainingException("checkpoint " + folder + " cannot be read (" + e.getMessage()
          + "): delete it to resume from the one before, or start a new output.dir", e);
    }
  }

  private static Map<String, NDArray> tensors(Path file, NDManager manager) {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    try (SafetensorsFile safetensors = SafetensorsFile.open(file)) {
      for (String name : safetensors.tensors().keySet()) {
        tensors.put(name, safetensors.read(name, manager));
      }
    }
    return tensors;
  }

  private List<Path> steps() {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> list = Files.list(dir)) {
      // By step number: at a million steps the names grow a digit and no longer sort as text.
      return list.filter(p -> STEP.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p))
          .sorted(java.util.Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(5))))
          .toList();
    } catch (IOException e) {
      throw new TrainingException("cannot list the checkpoints in " + dir + ": " + e, e);
    }
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
}
