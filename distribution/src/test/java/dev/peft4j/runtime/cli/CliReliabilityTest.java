package dev.peft4j.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.peft4j.runtime.train.MetricsLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reliability issue's failures, as a user meets them: each test names the failure (1-7) it pins. A run
 * never exits 0 with a broken model, never resumes another run, never runs twice in one folder.
 */
class CliReliabilityTest {

  @TempDir
  static Path shared;

  @TempDir
  Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @BeforeAll
  static void makeTheModelAndTheData() throws IOException {
    assertThat(Main.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), "init-model",
        "--size", "tiny", "--out", shared.resolve("model").toString())).isZero();
    // A slice of the shipped data: the runs here are about what a run does, not how well it learns.
    Path data = Path.of("..", "examples", "data");
    Files.write(shared.resolve("train.jsonl"), Files.readAllLines(data.resolve("train.jsonl")).subList(0, 96));
    Files.write(shared.resolve("eval.jsonl"), Files.readAllLines(data.resolve("eval.jsonl")).subList(0, 16));
  }

  @BeforeEach
  void clear() {
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
  }

  private int peft4j(String... args) {
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  /** A run of the tiny model on the shipped data; {@code extra} lines come last and win. */
  private Path run(String methods, int maxSteps, String... extra) throws IOException {
    Path file = dir.resolve("run.conf");
    Files.writeString(file, """
        model.path = "%s"
        methods = %s
        data { train = "%s", eval = "%s", cutoff-len = 64 }
        training { learning-rate = 1e-3, epochs = 1, batch-size = 4, max-steps = %d, logging-steps = 1, eval-steps = 0,
                   save-steps = 2, warmup-steps = 0, threads = 2 }
        output.dir = out
        """.formatted(shared.resolve("model"), methods, shared.resolve("train.jsonl"), shared.resolve("eval.jsonl"), maxSteps)
        + String.join("\n", extra) + "\n");
    return file;
  }

  private Path output() {
    return dir.resolve("out");
  }

  // 1. A broken model with exit 0.

  @Test
  void failure1_validateRefusesInfiniteAndUnderflowingNumbersWithTheirLine() throws IOException {
    Path file = run("[full, galore]", 2, "galore.scale = 1e400", "training.adam-epsilon = 1e-320");

    assertThat(peft4j("validate", file.toString(), "--set", "training.learning-rate=1e400")).isEqualTo(1);

    assertThat(err.toString()).contains("peft4j.galore.scale (" + file + ":7)", "peft4j.training.adam-epsilon (" + file
        + ":8)", "underflows", "peft4j.training.learning-rate (--set training.learning-rate=1e400)", "must be a finite number")
        .doesNotContain("internal error");
  }

  @Test
  void failure1_weightsThatBecomeInfiniteStopTheRunNonZeroAndNoModelIsWritten() throws IOException {
    assertThat(peft4j("train", run("[lora]", 4, "training.learning-rate = 3e38").toString())).isEqualTo(1);

    assertThat(err.toString()).contains("the optimizer step made the weights non-finite", "no model was written");
    assertThat(output().resolve("adapter")).doesNotExist();
    assertThat(output().resolve("checkpoints")).doesNotExist();
  }

  @Test
  void failure1_aLossThatStaysNaNWithSkipExitsNonZeroAndWritesNoModel() throws IOException {
    Path file = run("[full]", 4, "training.learning-rate = 1e30", "training.on-nonfinite = skip");

    assertThat(peft4j("train", file.toString())).isEqualTo(1);

    assertThat(out.toString()).contains("step skipped");
    assertThat(err.toString()).contains("is not finite", "no model was written");
    assertThat(output().resolve("model")).doesNotExist();
  }

  @Test
  void failure1_aLearningRateThatBreaksTheModelNeverEndsWithExit0AndAModel() throws IOException {
    // lr 1e6 saturates the weights: the gradients turn to zero (GradientWatchTest: the warning) or, as here with the
    // fused attention, to NaN; either way no model is written with exit 0
    int exit = peft4j("train", run("[full]", 7, "training.learning-rate = 1e6").toString());

    assertThat(exit == 0 ? out.toString() : err.toString()).contains(exit == 0
        ? "gradients have been exactly zero for 5 steps" : "not finite");
    assertThat(exit == 0 || !Files.exists(output().resolve("model"))).isTrue();
  }

  // 2. --resume trusts whatever checkpoints/ holds.

  @Test
  void failure2_aNewRunIntoAFinishedRunsFolderIsRefusedUnlessOverwrite() throws IOException {
    Path file = run("[lora]", 2);
    assertThat(peft4j("train", file.toString())).as(err.toString()).isZero();

    assertThat(peft4j("train", file.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("holds another run's results", "checkpoints in checkpoints/",
        "a trained adapter in adapter/", "--resume", "--overwrite");

    assertThat(peft4j("train", file.toString(), "--overwrite")).as(err.toString()).isZero();
    assertThat(out.toString()).contains("--overwrite: removed the previous run's").doesNotContain("resuming");
    List<JsonObject> metrics = MetricsLog.read(output().resolve("metrics.jsonl"));
    assertThat(metrics.stream().filter(m -> m.has("loss")).map(m -> m.get("step").getAsInt())).containsExactly(1, 2);
  }

  @Test
  void failure2_resumeRefusesOtherSettingsNamingEachDifference() throws IOException {
    assertThat(peft4j("train", run("[lora]", 2).toString())).as(err.toString()).isZero();

    Path changed = run("[lora]", 2, "training.learning-rate = 2e-3", "training.lr-scheduler = linear",
        "training.gradient-accumulation-steps = 2");
    assertThat(peft4j("train", changed.toString(), "--resume")).isEqualTo(1);

    assertThat(err.toString()).contains("written by a run with other settings",
        "training.learning-rate: 0.001 in the checkpoint, 0.002 now", "training.lr-scheduler: \"cosine\" in the checkpoint, "
            + "\"linear\" now", "training.gradient-accumulation-steps: 1 in the checkpoint, 2 now")
        .doesNotContain("--accept-change");
    assertThat(peft4j("train", changed.toString(), "--resume", "--accept-change", "training.learning-rate"))
        .isEqualTo(1);
    assertThat(err.toString()).contains("can change only");
  }

  @Test
  void failure2_aLongerScheduleResumesWhenAccepted() throws IOException {
    assertThat(peft4j("train", run("[lora]", 2).toString())).as(err.toString()).isZero();

    assertThat(peft4j("train", run("[lora]", 4).toString(), "--resume", "--accept-change", "training.max-steps"))
        .as(err.toString()).isZero();
    assertThat(out.toString()).contains("resuming with a changed setting, as accepted: training.max-steps: 2 in the "
        + "checkpoint, 4 now", "at step 2/4");
  }

  @Test
  void failure2_aStepBeyondTheRunOrAgainstItsFolderIsDamaged() throws IOException {
    assertThat(peft4j("train", run("[lora]", 4).toString())).as(err.toString()).isZero();
    Path state = output().resolve("checkpoints/step-000004/trainer_state.json");
    Files.writeString(state, Files.readString(state).replaceFirst("\"step\": 4", "\"step\": 999999"));
    Path older = output().resolve("checkpoints/step-000002/trainer_state.json");
    Files.writeString(older, Files.readString(older).replaceFirst("\"step\": 2", "\"step\": 10"));

    assertThat(peft4j("train", run("[lora]", 4).toString(), "--resume")).isEqualTo(1);

    assertThat(out.toString()).contains("step-000004 is damaged", "says step 999999");
    assertThat(err.toString()).contains("every one is damaged", "says step 10, but the folder is step-000002")
        .doesNotContain("internal error");
  }

  // 3. No lock on output.dir.

  @Test
  void failure3_aSecondRunIsRefusedWithTheFirstOnesPidAndStartTime() throws Exception {
    Path file = run("[lora]", 2);
    Process holder = LockHolder.start(output());
    try {
      assertThat(peft4j("train", file.toString())).isEqualTo(1);
      assertThat(err.toString()).contains("is in use by another run (pid " + holder.pid() + ", started ");
      assertThat(output().resolve("checkpoints")).doesNotExist();
    } finally {
      holder.destroyForcibly().waitFor();
    }
    // The lock file a killed run leaves is no lock.
    assertThat(output().resolve("run.lock")).exists();
    assertThat(peft4j("train", file.toString())).as(err.toString()).isZero();
  }

  // 4. A corrupt newest checkpoint.

  @Test
  void failure4_aDamagedNewestCheckpointIsPassedOverForTheNewestGoodOne() throws IOException {
    assertThat(peft4j("train", run("[lora]", 4).toString())).as(err.toString()).isZero();
    Path weights = output().resolve("checkpoints/step-000004/trainable.safetensors");
    try (RandomAccessFile file = new RandomAccessFile(weights.toFile(), "rw")) {
      for (int i = 0; i < 100; i++) {
        long at = file.length() - 1 - i * 37L;
        file.seek(at);
        int b = file.read();
        file.seek(at);
        file.write(b ^ 0x5a);
      }
    }

    assertThat(peft4j("train", run("[lora]", 4).toString(), "--resume")).as(err.toString()).isZero();

    assertThat(out.toString()).contains("step-000004 is damaged", "does not match its checksum",
        "passed over for step-000002", "resuming from step-000002, the newest good checkpoint", "at step 2/4");
  }

  @Test
  void failure4_aCheckpointOfAnotherShapeOrStepIsAMessageNotAnInternalError() throws IOException {
    assertThat(peft4j("train", run("[lora]", 2).toString())).as(err.toString()).isZero();
    Path state = output().resolve("checkpoints/step-000002/trainer_state.json");
    Files.writeString(state, Files.readString(state).replaceFirst("\"step\": 2", "\"step\": -5"));

    assertThat(peft4j("train", run("[lora]", 2).toString(), "--resume")).isEqualTo(1);

    assertThat(err.toString()).contains("says step -5").doesNotContain("internal error");
  }

  // 5. Wrong inputs that run as if they were right.

  private Path trainedAdapter() throws IOException {
    assertThat(peft4j("train", run("[lora]", 2).toString())).as(err.toString()).isZero();
    return output().resolve("adapter");
  }

  private int evaluate(Path adapter) {
    return peft4j("evaluate", "--model", shared.resolve("model").toString(), "--adapter", adapter.toString(), "--data",
        shared.resolve("eval.jsonl").toString(), "--limit", "2", "--max-new-tokens", "2");
  }

  @Test
  void failure5_anAdapterWhoseConfigListsFewerModulesThanItsTensorsIsRefusedNamingThem() throws IOException {
    Path adapter = trainedAdapter();
    Path config = adapter.resolve("adapter_config.json");
    String text = Files.readString(config);
    assertThat(text).containsPattern("\"target_modules\": \\[\\s*\"q_proj\",\\s*\"v_proj\"\\s*\\]");
    Files.writeString(config, text.replaceFirst("\"target_modules\": \\[\\s*\"q_proj\",\\s*\"v_proj\"\\s*\\]",
        "\"target_modules\": [\"q_proj\"]"));

    assertThat(evaluate(adapter)).isEqualTo(1);

    assertThat(err.toString()).contains("holds tensors that", "does not describe",
        "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight").doesNotContain("internal error");
  }

  @Test
  void failure5_modulesToSaveThatTheWeightsDoNotHoldAreRefusedNotIgnored() throws IOException {
    Path adapter = trainedAdapter();
    Path config = adapter.resolve("adapter_config.json");
    Files.writeString(config, Files.readString(config).replace("\"modules_to_save\": null", "\"modules_to_save\": [\"lm_head\"]"));

    assertThat(evaluate(adapter)).isEqualTo(1);

    assertThat(err.toString()).contains("the adapter has no tensor base_model.model.lm_head.weight")
        .doesNotContain("internal error");
  }

  @Test
  void failure5_generateAndEvaluateRefuseNonFiniteAdapterWeights() throws IOException {
    Path adapter = trainedAdapter();
    Path weights = adapter.resolve("adapter_model.safetensors");
    byte[] bytes = Files.readAllBytes(weights);
    java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int headerLength = (int) buffer.getLong(0);
    JsonObject header = com.google.gson.JsonParser.parseString(new String(bytes, 8, headerLength,
        java.nio.charset.StandardCharsets.UTF_8)).getAsJsonObject();
    String name = "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight";
    int begin = header.getAsJsonObject(name).getAsJsonArray("data_offsets").get(0).getAsInt();
    buffer.putFloat(8 + headerLength + begin, Float.NaN);
    Files.write(weights, bytes);

    assertThat(evaluate(adapter)).isEqualTo(1);
    assertThat(err.toString()).contains("not finite", name);
    assertThat(peft4j("generate", "--model", shared.resolve("model").toString(), "--adapter", adapter.toString(),
        "--prompt", "hi", "--max-new-tokens", "2")).isEqualTo(1);
    assertThat(err.toString()).contains("not finite", name);
  }

  @Test
  void failure5_validateNamesTheLayersOfWeightsConfigJsonLeavesOut() throws IOException {
    Path model = dir.resolve("two-layers");
    Files.createDirectories(model);
    try (Stream<Path> files = Files.list(shared.resolve("model"))) {
      for (Path file : files.toList()) {
        Files.copy(file, model.resolve(file.getFileName()));
      }
    }
    Path config = model.resolve("config.json");
    Files.writeString(config, Files.readString(config).replace("\"num_hidden_layers\": 4", "\"num_hidden_layers\": 2"));
    Path file = run("[lora]", 2, "model.path = \"" + model + "\"");

    assertThat(peft4j("validate", file.toString())).isEqualTo(1);

    assertThat(err.toString()).contains("does not describe the weights", "tensors would be left unused: model.layers.2.");
  }

  // 6. Leaks.

  @Test
  void failure6_staleTemporaryFoldersOfTheRunAreRemoved() throws IOException {
    Files.createDirectories(output().resolve("checkpoints/.step-000004.tmp-123-456"));
    Files.writeString(output().resolve("checkpoints/.step-000004.tmp-123-456/trainable.safetensors"), "half");
    Files.createDirectories(output().resolve(".model.tmp-123-789"));

    assertThat(peft4j("train", run("[lora]", 2).toString())).as(err.toString()).isZero();

    assertThat(out.toString()).contains("removed " + output().resolve("checkpoints/.step-000004.tmp-123-456"));
    assertThat(output().resolve("checkpoints/.step-000004.tmp-123-456")).doesNotExist();
    assertThat(output().resolve(".model.tmp-123-789")).doesNotExist();
  }

  @Test
  void failure6_resumingWritesNoDuplicateEvalLines() throws IOException {
    assertThat(peft4j("train", run("[lora]", 2).toString())).as(err.toString()).isZero();

    assertThat(peft4j("train", run("[lora]", 2).toString(), "--resume")).as(err.toString()).isZero();

    List<JsonObject> evals = MetricsLog.read(output().resolve("metrics.jsonl")).stream()
        .filter(m -> m.has("eval_loss")).toList();
    assertThat(evals.stream().map(m -> m.get("step").getAsInt())).containsExactly(0, 2);
  }
}
