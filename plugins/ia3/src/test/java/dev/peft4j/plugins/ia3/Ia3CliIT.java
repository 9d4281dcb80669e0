package dev.peft4j.plugins.ia3;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.api.AdapterState;
import dev.peft4j.runtime.io.AdapterFiles;
import dev.peft4j.tck.KitModel;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The path a third party's users take: the IA³ jar that {@code mvn package} built is copied into a plugin folder,
 * and {@code peft4j methods}, {@code train} and {@code merge --adapter} run in a fresh JVM whose classpath is the
 * runtime's alone (this module's classes are taken out of it), so that IA³ comes only from the jar, in its own class
 * loader.
 */
class Ia3CliIT {

  @TempDir
  Path dir;

  private record Result(int exit, String out, String err) {}

  @Test
  void theBuiltJarInAPluginFolderIsListedTrainsAndMergesThroughTheCli() throws Exception {
    Path jar = Path.of(System.getProperty("peft4j.plugin.jar"));
    assertThat(jar).as("the jar `mvn package` built (run this test with `mvn verify`)").isRegularFile();
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    Path installed = Files.copy(jar, plugins.resolve(jar.getFileName()));

    Result listed = peft4j("--plugins", plugins.toString(), "methods");
    assertThat(listed.exit()).as(listed.err()).isZero();
    assertThat(listed.out()).contains("ia3 ", "adapter", "jar: " + installed + " (plugin folder)", "capabilities: merges",
        "settings (peft4j.ia3):", "target = [k_proj, v_proj, down_proj]", "error not-with-selector");
    // docs/plugin-authors.md shows this listing verbatim (the plugin folder named as a relative path)
    String section = listed.out().substring(listed.out().indexOf("\nia3 ") + 1).split("\\R\\R")[0];
    assertThat(section.replace(dir + File.separator, "").stripTrailing())
        .isEqualTo(documentedListing().stripTrailing());

    KitModel.write(dir.resolve("models/tiny"));
    StringBuilder data = new StringBuilder();
    for (int i = 0; i < 16; i++) {
      data.append("{\"instruction\": \"add ").append(i).append(" and ").append(i + 1)
          .append("\", \"output\": \"").append(2 * i + 1).append("\"}\n");
    }
    Files.writeString(dir.resolve("train.jsonl"), data);
    Files.writeString(dir.resolve("run.conf"), """
        model.path = models/tiny
        plugin-dirs = [plugins]
        methods = [ia3]
        data.train = train.jsonl
        training { epochs = 1, batch-size = 4, learning-rate = 0.05, max-steps = 4, threads = 1 }
        output.dir = out
        """);
    Result trained = peft4j("train", dir.resolve("run.conf").toString());
    assertThat(trained.exit()).as("stdout:%n%s%nstderr:%n%s", trained.out(), trained.err()).isZero();
    assertThat(trained.out()).contains("trainable params: 192 || all params: 25,184 ||",
        "trained adapter: " + dir.resolve("out/adapter"));

    try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
      AdapterState adapter = AdapterFiles.read(dir.resolve("out/adapter"), manager);
      assertThat(adapter.config()).containsEntry("peft_type", "IA3").containsEntry("task_type", "CAUSAL_LM");
      assertThat(adapter.tensors()).hasSize(6).containsKey("base_model.model.model.layers.1.mlp.down_proj.ia3_l");
      for (NDArray vector : adapter.tensors().values()) {
        float[] values = vector.toFloatArray();
        float[] ones = new float[values.length];
        Arrays.fill(ones, 1f);
        assertThat(values).as("a trained vector moved from its initial ones").isNotEqualTo(ones);
      }
    }

    // merge --adapter rebuilds it from its adapter_config.json, IA³ again coming from the plugin folder alone.
    Result merged = peft4j("--plugins", plugins.toString(), "merge", "--model", "models/tiny", "--adapter", "out/adapter",
        "--out", "merged");
    assertThat(merged.exit()).as("stdout:%n%s%nstderr:%n%s", merged.out(), merged.err()).isZero();
    assertThat(dir.resolve("merged/model.safetensors")).isRegularFile();

    // A second run continues from the adapter the first one wrote.
    Files.writeString(dir.resolve("run.conf"), "model.adapter-path = out/adapter\noutput.dir = out2\n", java.nio.file.StandardOpenOption.APPEND);
    Result continued = peft4j("train", dir.resolve("run.conf").toString());
    assertThat(continued.exit()).as("stdout:%n%s%nstderr:%n%s", continued.out(), continued.err()).isZero();
    assertThat(continued.out()).contains("adapter " + dir.resolve("out/adapter") + " loaded",
        "trained adapter: " + dir.resolve("out2/adapter"));
  }

  /** The block of docs/plugin-authors.md marked {@code <!-- verbatim-in: Ia3CliIT -->}. */
  private static String documentedListing() throws IOException {
    String guide = Files.readString(Path.of("..", "..", "docs", "plugin-authors.md"));
    java.util.regex.Matcher block = java.util.regex.Pattern.compile(
        "<!-- verbatim-in: Ia3CliIT -->\\R```text\\R(.*?)\\R```", java.util.regex.Pattern.DOTALL).matcher(guide);
    assertThat(block.find()).as("docs/plugin-authors.md has the block Ia3CliIT checks").isTrue();
    return block.group(1);
  }

  private Result peft4j(String... args) throws IOException, InterruptedException {
    // The runtime, its libraries and the built-in methods; not this module's classes, tests or jar.
    Path module = Path.of("").toAbsolutePath().resolve("target");
    String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(entry -> !Path.of(entry).toAbsolutePath().startsWith(module))
        .collect(Collectors.joining(File.pathSeparator));
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1", "-cp", classpath,
        "dev.peft4j.runtime.cli.Main"));
    command.addAll(List.of(args));
    Path stdout = dir.resolve("stdout.txt");
    Path stderr = dir.resolve("stderr.txt");
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
        .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
    builder.environment().remove("PEFT4J_PLUGINS");
    Process process = builder.start();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("peft4j finished").isTrue();
    return new Result(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
        Files.readString(stderr, StandardCharsets.UTF_8));
  }
}
