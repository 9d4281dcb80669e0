package dev.peft4j.runtime.train;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Metrics as JSON lines ({@code metrics.jsonl}), one object a line, flushed as written: as a {@link TrainingListener},
 * a line for each logged step ({@code step, loss, lr, grad_norm, tokens_per_second, skipped_steps}) and for each
 * evaluation ({@code step, eval_loss, eval_perplexity}).
 */
public final class MetricsLog implements TrainingListener, AutoCloseable {

  private static final Gson GSON = new com.google.gson.GsonBuilder().serializeNulls().create();

  private final Path file;
  private final BufferedWriter writer;
  /**
   * The steps that have an eval line: a resumed run evaluates again at the step it resumes from (and a finished
   * run resumed, at its end twice), where the log already holds that evaluation; one eval line a step.
   */
  private final java.util.Set<Long> evaluated = new java.util.HashSet<>();

  /**
   * Opens the log; when resuming from {@code resumedStep}, lines of later steps (written after that
   * checkpoint by the interrupted run) are dropped first, so the log reads as one run.
   */
  public MetricsLog(Path file, long resumedStep) {
    this.file = file;
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      if (resumedStep > 0 && Files.exists(file)) {
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          if (stepOf(line) <= resumedStep) {
            kept.add(line);
            if (line.contains("\"eval_loss\"")) {
              evaluated.add(stepOf(line));
            }
          }
        }
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(temporary, kept, StandardCharsets.UTF_8);
        Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      } else {
        Files.deleteIfExists(file);
      }
      writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new TrainingException("cannot write metrics to " + file + ": " + e + ". Check the free disk space and the permissions of its folder", e);
    }
  }

  /** The step of a line; a line that does not parse (the half-written last line of a crash) counts as later than all. */
  private static long stepOf(String line) {
    try {
      JsonObject json = JsonParser.parseString(line).getAsJsonObject();
      return json.has("step") ? json.get("step").getAsLong() : Long.MAX_VALUE;
    } catch (RuntimeException e) {
      return Long.MAX_VALUE;
    }
  }

  public Path file() {
    return file;
  }

  @Override
  public void onStep(StepEvent event) {
    if (event.logged()) {
      Map<String, Object> line = new java.util.LinkedHashMap<>();
      line.put("step", event.step());
      line.put("loss", event.finite() ? event.loss() : null);
      line.put("lr", event.learningRate());
      line.put("grad_norm", event.gradNorm());
      line.put("tokens_per_second", event.tokensPerSecond());
      line.put("skipped_steps", event.skippedSteps());
      write(line);
    }
  }

  @Override
  public void onEvaluation(Evaluation evaluation) {
    Map<String, Object> line = new java.util.LinkedHashMap<>();
    line.put("step", evaluation.step());
    line.put("eval_loss", evaluation.loss());
    line.put("eval_perplexity", evaluation.perplexity());
    write(line);
  }

  /** Writes one line; a non-finite number (JSON has none) is written as null. */
  public void write(Map<String, ?> values) {
    if (values.containsKey("eval_loss") && values.get("step") instanceof Number step && !evaluated.add(step.longValue())) {
      return;
    }
    JsonObject json = new JsonObject();
    values.forEach((key, value) -> json.add(key, value instanceof Number n && !Double.isFinite(n.doubleValue())
        ? com.google.gson.JsonNull.INSTANCE : GSON.toJsonTree(value)));
    try {
      writer.write(GSON.toJson(json));
      writer.newLine();
      writer.flush();
    } catch (IOException e) {
      throw new TrainingException("cannot write metrics to " + file + ": " + e + ". Check the free disk space and the permissions of its folder", e);
    }
  }

  /** Every line of a metrics file, parsed. */
  public static List<JsonObject> read(Path file) throws IOException {
    List<JsonObject> lines = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        lines.add(JsonParser.parseString(line).getAsJsonObject());
      }
    }
    return lines;
  }

  @Override
  public void close() {
    try {
      writer.close();
    } catch (IOException e) {
      throw new TrainingException("cannot close " + file + ": " + e, e);
    }
  }
}
