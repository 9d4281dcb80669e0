package dev.peft4j.runtime.testing;

import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.rules.Condition.RuntimeFact;
import dev.peft4j.runtime.config.RunConfig;
import dev.peft4j.runtime.config.RunConfigLoader;
import dev.peft4j.runtime.plugin.Discovery;
import dev.peft4j.runtime.plugin.PluginDiscovery;
import dev.peft4j.runtime.rules.DefaultRunFacts;
import dev.peft4j.runtime.validate.RunValidator;
import dev.peft4j.runtime.validate.ValidationReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/** Writes run files and tiny model folders, and validates runs with a device whose bf16 support the test chooses. */
public final class Runs {

  private static final Discovery DISCOVERY = PluginDiscovery.discover(Runs.class.getClassLoader(), List.of());

  private final Path folder;
  private boolean deviceBf16;

  public Runs(Path folder) {
    this.folder = folder;
    model("models/tiny", 2);
  }

  public static Discovery discovery() {
    return DISCOVERY;
  }

  /** Pretends the device computes in bf16 (a recent CUDA GPU) or not (the CPU). */
  public Runs deviceBf16(boolean supported) {
    this.deviceBf16 = supported;
    return this;
  }

  /** A llama model folder with only a config.json; {@code layers} < 0 leaves num_hidden_layers out. */
  public Path model(String name, int layers) {
    Path dir = folder.resolve(name);
    String layerLine = layers < 0 ? "" : "\"num_hidden_layers\": " + layers + ",";
    write(dir.resolve("config.json"), """
        {"model_type": "llama", %s "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
         "intermediate_size": 172, "vocab_size": 512, "tie_word_embeddings": false}
        """.formatted(layerLine));
    return dir;
  }

  /** Writes {@code run.conf} with the given lines, after a first line naming the tiny model. */
  public Path runFile(String... lines) {
    Path file = folder.resolve("run.conf");
    write(file, "model.path = models/tiny\n" + String.join("\n", lines) + "\n");
    return file;
  }

  public ValidationReport validate(String... lines) {
    return validate(runFile(lines), List.of());
  }

  public ValidationReport validate(Path runFile, List<String> overrides) {
    RunConfig run = RunConfigLoader.load(Optional.of(runFile), overrides, new Properties(), DISCOVERY.reference());
    RunValidator validator = new RunValidator(DISCOVERY, (Optional<ModelInfo> model) -> fact ->
        fact == RuntimeFact.DEVICE_SUPPORTS_BF16 ? Optional.of(deviceBf16) : new DefaultRunFacts(model).get(fact));
    return validator.validate(run);
  }

  private static void write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
