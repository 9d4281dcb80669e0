package dev.peft4j.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peft4j.runtime.testing.ExampleModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code peft4j train} in a JVM of its own, sent SIGTERM (what Ctrl-C's SIGINT and a plain {@code kill} do to the
 * JVM): the run stops after the step in progress and writes its checkpoint and adapter; it does not crash inside
 * libtorch, and {@code --resume} continues it.
 */
class CliInterruptTest {

  @TempDir
  Path dir;

  @Test
  void aTerminatedRunStopsAfterItsStepWritesItsAdapterAndResumes() throws Exception {
    Path train = Path.of("..", "examples", "data", "train.jsonl").toAbsolutePath().normalize();
    Path out = dir.resolve("out");
    Path run = dir.resolve("run.conf");
    Files.writeString(run, """
        model.path = "%s"
        methods = [lora]
        data { train = "%s", cutoff-len = 64 }
        training { batch-size = 8, max-steps = 100000, save-steps = 1000, logging-steps = 1, threads = 1 }
        output.dir = "%s"
        """.formatted(ExampleModel.ensure(), train, out));
    Path stderr = dir.resolve("stderr.txt");
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "train",
        run.toString())
        .directory(dir.toFile()).redirectOutput(dir.resolve("stdout.txt").toFile()).redirectError(stderr.toFile())
        .start();
    try {
      Path metrics = out.resolve("metrics.jsonl");
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (!(Files.exists(metrics) && Files.readString(metrics).lines().count() >= 3)) { // a line a step
        assertThat(process.isAlive()).as("training runs: %s", Files.readString(stderr)).isTrue();
        assertThat(System.nanoTime()).as("three steps within 3 minutes").isLessThan(deadline);
        Thread.sleep(50);
      }
      process.destroy(); // SIGTERM
      assertThat(process.waitFor(2, TimeUnit.MINUTES)).as("the run ends after its step").isTrue();
    } finally {
      process.destroyForcibly();
    }

    String err = Files.readString(stderr, StandardCharsets.UTF_8);
    assertThat(err).contains("interrupted: stopping after the current step").doesNotContain("fatal error");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString())).noneMatch(name -> name.startsWith("hs_err"));
    }
    assertThat(out.resolve("adapter/adapter_model.safetensors")).isRegularFile();
    List<String> checkpoints;
    try (Stream<Path> saved = Files.list(out.resolve("checkpoints"))) {
      checkpoints = saved.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("step-")).toList();
    }
    assertThat(checkpoints).hasSize(1);
    long stoppedAt = Long.parseLong(checkpoints.get(0).substring("step-".length()));
    assertThat(stoppedAt).isGreaterThanOrEqualTo(3).isLessThan(100000);

    Files.writeString(run, Files.readString(run).replace("max-steps = 100000", "max-steps = " + (stoppedAt + 2)));
    StringWriterPair resumed = StringWriterPair.run("train", run.toString(), "--resume",
        "--accept-change", "training.max-steps");
    assertThat(resumed.exit()).as(resumed.err()).isZero();
    assertThat(resumed.out()).contains("resuming from").contains("at step " + stoppedAt);
  }

  /** The CLI run in this JVM, its output and errors. */
  private record StringWriterPair(int exit, String out, String err) {
    static StringWriterPair run(String... args) {
      java.io.StringWriter out = new java.io.StringWriter();
      java.io.StringWriter err = new java.io.StringWriter();
      int exit = Main.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true), args);
      return new StringWriterPair(exit, out.toString(), err.toString());
    }
  }
}
