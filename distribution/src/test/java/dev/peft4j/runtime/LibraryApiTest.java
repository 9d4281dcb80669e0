package dev.peft4j.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.config.ConfigurationException;
import dev.peft4j.runtime.config.CoreSettings.DataFormat;
import dev.peft4j.runtime.generate.Evaluation;
import dev.peft4j.runtime.generate.Generator;
import dev.peft4j.runtime.io.AdapterFiles;
import dev.peft4j.runtime.testing.ExampleModel;
import dev.peft4j.runtime.train.StepEvent;
import dev.peft4j.runtime.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** peft4j from Java code, through the {@link Peft4j} facade alone: train, stop, continue, generate, evaluate, apply. */
class LibraryApiTest {

  private static final Path EXAMPLES = Path.of("..", "examples").toAbsolutePath().normalize();

  @TempDir
  Path dir;

  private final Peft4j peft4j = Peft4j.builder().build();

  private Config lora(Path output, int maxSteps) {
    return ConfigFactory.parseMap(Map.of(
        "model.path", ExampleModel.ensure().toString(),
        "methods", List.of("lora"),
        "lora", Map.of("rank", 4, "target", List.of("q_proj", "v_proj")),
        "data", Map.of("train", EXAMPLES.resolve("data/train.jsonl").toString(), "cutoff-len", 64),
        "training", Map.of("batch-size", 8, "max-steps", maxSteps, "learning-rate", 3e-3, "save-steps", 2, "threads", 1),
        "output.dir", output.toString()));
  }

  @Test
  void aRunStoppedFromAnotherThreadWritesItsAdapterAndContinuesWhereItStopped() throws Exception {
    Path output = dir.resolve("run");
    CountDownLatch firstStep = new CountDownLatch(1);
    AtomicLong lastStep = new AtomicLong();
    TrainingRun run = peft4j.training(peft4j.validate(lora(output, 40))).listener(new TrainingListener() {
      @Override
      public void onStep(StepEvent step) {
        lastStep.set(step.step());
        firstStep.countDown();
      }
    });
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try {
      Future<TrainingRun.Outcome> training = thread.submit(run::run);
      while (!firstStep.await(100, TimeUnit.MILLISECONDS)) {
        if (training.isDone()) {
          fail("the run ended before its first step: " + training.get());
        }
      }
      run.requestStop();
      TrainingRun.Outcome stopped = training.get(5, TimeUnit.MINUTES);

      assertThat(stopped.stopped()).isTrue();
      assertThat(stopped.steps()).isLessThan(40).isEqualTo(lastStep.get());
      assertThat(stopped.model().resolve(AdapterFiles.CONFIG)).isRegularFile();
      assertThat(stopped.lastCheckpoint().getFileName().toString()).isEqualTo(String.format("step-%06d", stopped.steps()));

      TrainingRun.Outcome continued = peft4j.training(peft4j.validate(lora(output, 40))).resume().run();
      assertThat(continued.stopped()).isFalse();
      assertThat(continued.steps()).isEqualTo(40);
    } finally {
      thread.shutdownNow();
    }
  }

  @Test
  void aMethodAppliedInCodeSavesAnAdapterThatLoadsBack() {
    Path model = ExampleModel.ensure();
    Path adapter = dir.resolve("adapter");
    String base;
    try (LoadedModel loaded = peft4j.loadModel(model)) {
      base = loaded.generate("What is 2 + 3?", Generator.Sampling.greedy(6));
      loaded.apply(ConfigFactory.parseString("methods = [lora], lora { rank = 4, target = [q_proj, v_proj] }"));
      assertThat(loaded.model().namedParameters().keySet()).anyMatch(name -> name.contains("lora_A"));
      // LoRA starts with B = 0: the adapted model answers as the base does
      assertThat(loaded.generate("What is 2 + 3?", Generator.Sampling.greedy(6))).isEqualTo(base);
      loaded.saveAdapter(adapter);
    }
    assertThat(adapter.resolve(AdapterFiles.WEIGHTS)).isRegularFile();
    try (LoadedModel reloaded = peft4j.loadModel(model, Optional.of(adapter))) {
      assertThat(reloaded.generate("What is 2 + 3?", Generator.Sampling.greedy(6))).isEqualTo(base);
      Evaluation.Answers answers = reloaded.evaluate(EXAMPLES.resolve("data/eval.jsonl"), DataFormat.ALPACA, 3, 4);
      assertThat(answers.prompts()).hasSize(3);
      assertThat(answers.score().total()).isEqualTo(3);
    }
  }

  @Test
  void settingsAppliedInCodeAreValidatedAsARunFile() {
    try (LoadedModel loaded = peft4j.loadModel(ExampleModel.ensure())) {
      assertThatThrownBy(() -> loaded.apply(ConfigFactory.parseString("methods = [lora], lora.target = [v_porj]")))
          .isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("did you mean \"v_proj\"");
      assertThatThrownBy(() -> loaded.saveAdapter(dir.resolve("none")))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("no adapter");
    }
    assertThat(Files.exists(dir.resolve("none"))).isFalse();
  }

  @Test
  void aNamedSizeIsMadeWithoutADownload() {
    Path folder = peft4j.initModel(dir.resolve("tiny"), "tiny", 1);
    assertThat(folder.resolve("config.json")).isRegularFile();
    assertThatThrownBy(() -> peft4j.initModel(dir.resolve("huge"), "huge", 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tiny");
  }
}
