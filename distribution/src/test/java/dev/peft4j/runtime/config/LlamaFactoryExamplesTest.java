package dev.peft4j.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.cli.Main;
import dev.peft4j.runtime.testing.ExampleModel;
import dev.peft4j.runtime.validate.ValidationReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each of LLaMA-Factory's example runs in examples/llamafactory/ validates, plans and trains a few steps on the tiny
 * model, and gives the settings of its hand-written peft4j twin in examples/llamafactory/hocon/.
 */
class LlamaFactoryExamplesTest {

  private static final Path EXAMPLES = Path.of("..", "examples", "llamafactory").toAbsolutePath().normalize();

  @TempDir
  Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int peft4j(String... args) {
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  /** The example's paths moved where the test can use them, in LLaMA-Factory's names. */
  private List<String> yamlPaths() {
    return List.of("model_name_or_path=" + ExampleModel.ensure(), "dataset_dir=" + EXAMPLES,
        "output_dir=" + dir.resolve("out"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"lora_sft", "loraplus_sft", "pissa_sft", "qlora_sft", "freeze_sft", "full_sft", "galore_sft", "badam_sft"})
  void runsAsItsHandWrittenTwin(String name) {
    Path yaml = EXAMPLES.resolve(name + ".yaml");
    Peft4j peft4j = Peft4j.builder().build();
    ValidationReport fromYaml = peft4j.validate(yaml, yamlPaths()).orThrow();
    ValidationReport fromHocon = peft4j.validate(EXAMPLES.resolve("hocon").resolve(name + ".conf"),
        List.of("model.path=\"" + ExampleModel.ensure() + "\"", "output.dir=\"" + dir.resolve("out") + "\"")).orThrow();
    assertThat(fromYaml.core()).isEqualTo(fromHocon.core());
    assertThat(fromYaml.settings()).isEqualTo(fromHocon.settings());
    assertThat(fromYaml.run().overwrite()).as("overwrite_output_dir: true").isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"lora_sft", "loraplus_sft", "pissa_sft", "qlora_sft", "freeze_sft", "full_sft", "galore_sft", "badam_sft"})
  void validatesPlansAndTrainsTwoSteps(String name) throws IOException {
    String yaml = EXAMPLES.resolve(name + ".yaml").toString();
    List<String> sets = new java.util.ArrayList<>();
    for (String override : yamlPaths()) {
      sets.add("--set");
      sets.add(override);
    }
    // Two steps on a few examples, and evaluation on a few: the run as written, made short.
    for (String override : List.of("max_steps=2", "max_samples=16", "training.threads=2")) {
      sets.add("--set");
      sets.add(override);
    }
    String[] overrides = sets.toArray(String[]::new);
    assertThat(peft4j(concat(new String[] {"validate", "--verbose", yaml}, overrides))).as(err.toString()).isZero();
    assertThat(out.toString()).contains(yaml + " is valid");
    // --verbose: every setting of the translation, and the YAML line or LLaMA-Factory default it came from
    assertThat(out.toString()).containsPattern("peft4j\\.training\\.learning-rate = [0-9.E-]+  # "
        + java.util.regex.Pattern.quote(yaml) + ":\\d+")
        .contains("peft4j.training.seed = 42  # " + yaml + " (the default of seed)");
    assertThat(err.toString()).contains("warning: " + yaml + ":", "preprocessing_num_workers: changes nothing");
    assertThat(peft4j(concat(new String[] {"plan", yaml}, overrides))).as(err.toString()).isZero();
    assertThat(peft4j(concat(new String[] {"train", yaml}, overrides))).as(err.toString()).isZero();
    Path output = dir.resolve("out");
    assertThat(output.resolve("metrics.jsonl")).exists();
    assertThat(Files.readString(output.resolve("metrics.jsonl"))).containsPattern("\"step\"\\s*:\\s*2\\b");
    if (Files.readString(Path.of(yaml)).contains("\nval_size: 0.1")) {
      // val_size: 0.1 held 2 of the 16 examples out, and the run evaluated on them
      assertThat(Files.readString(output.resolve("metrics.jsonl"))).contains("\"eval_loss\"");
      assertThat(out.toString()).contains("eval: 2 examples held out of data.train's 16 (data.val-size), 14 to train on");
    }
    assertThat(output.resolve(name.contains("lora") || name.contains("pissa") ? "adapter" : "model")).isDirectory();
    // pissa_convert: true wrote the PiSSA adapter as a plain LoRA adapter of twice the rank, where LLaMA-Factory does
    assertThat(output.resolve("pissa_converted/adapter_config.json").toFile().exists()).isEqualTo(name.equals("pissa_sft"));
    // overwrite_output_dir: true lets the same run start again in its folder.
    assertThat(peft4j(concat(new String[] {"train", yaml}, overrides))).as(err.toString()).isZero();
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
