package dev.peft4j.runtime.cli;

import static dev.peft4j.runtime.testing.TestPlugins.Behaviour.WORKS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.peft4j.runtime.testing.TestPlugins;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plugin jar built at test time, dropped into a plugin folder, used by the CLI in a fresh JVM:
 * the path a third party's users take.
 */
class CliProcessTest {

  @TempDir
  Path dir;

  private record Result(int exit, String out, String err) {}

  private Result peft4j(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    Path stdout = dir.resolve("stdout.txt");
    Path stderr = dir.resolve("stderr.txt");
    ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
    builder.environment().remove("PEFT4J_PLUGINS");
    Process process = builder.start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("peft4j finished").isTrue();
    return new Result(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
        Files.readString(stderr, StandardCharsets.UTF_8));
  }

  @Test
  void aPluginDroppedIntoAFolderIsListedUsedAndADuplicateIsRefused() throws Exception {
    Path plugins = dir.resolve("plugins");
    Path jar = TestPlugins.methodJar(plugins, "echo.jar", "echo", "ApiVersion.CURRENT", WORKS);

    Result listed = peft4j("--plugins", plugins.toString(), "-v", "methods");
    assertThat(listed.exit()).as(listed.err()).isZero();
    assertThat(listed.out()).contains("6 methods", "echo 7.7.7 — selector", "jar: " + jar + " (plugin folder)",
        "settings (peft4j.echo):", "    scale = 1.5", "How much to scale.", "error not-with-lora");
    assertThat(listed.err()).contains("found method echo 7.7.7 (selector) in " + jar);

    Path model = dir.resolve("models/tiny");
    Files.createDirectories(model);
    // A complete config.json: validate reads it as plan and train do.
    Files.writeString(model.resolve("config.json"), "{\"model_type\": \"llama\", \"num_hidden_layers\": 2, \"hidden_size\": 64, "
        + "\"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"intermediate_size\": 172, \"vocab_size\": 512}");
    Path run = dir.resolve("run.conf");
    Files.writeString(run, "model.path = models/tiny\nplugin-dirs = [plugins]\nmethods = [echo]\necho.scale = 2.5\n");
    Result valid = peft4j("validate", run.toString());
    assertThat(valid.exit()).as(valid.err()).isZero();
    assertThat(valid.out()).contains("is valid: methods echo");

    Files.writeString(run, "model.path = models/tiny\nplugin-dirs = [plugins]\nmethods = [echo, lora]\necho.sacle = 2\n");
    Result refused = peft4j("validate", run.toString());
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("unknown key 'sacle': did you mean 'scale'?", "[rule echo/not-with-lora]");

    Path copy = Files.copy(jar, plugins.resolve("echo-copy.jar"));
    Result duplicate = peft4j("--plugins", plugins.toString(), "methods");
    assertThat(duplicate.exit()).isEqualTo(1);
    assertThat(duplicate.err()).contains("method id 'echo' is provided twice", jar.toString(), copy.toString());
  }
}
