package dev.peft4j.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.peft4j.runtime.io.safetensors.SafetensorsFile;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every method trains in bf16 through the command line, with and without gradient checkpointing, on a bf16 copy of
 * the tiny model: the run ends with exit 0, a lower eval loss, and its outputs in the dtypes PEFT and transformers
 * would write (a model in the base's bf16, an adapter in float32). A path that handed DJL a bf16 array it cannot
 * take would abort the JVM, and with it this test.
 */
class Bf16RunsTest {

  @TempDir
  static Path dir;

  private static Path base;
  private static Path eval;

  @BeforeAll
  static void bf16Model() throws IOException {
    // 32 held-out examples are enough to see the loss fall, and keep the test's 24 evaluations short.
    eval = dir.resolve("eval.jsonl");
    Files.write(eval, Files.readAllLines(Path.of("..", "examples", "data", "eval.jsonl")).subList(0, 32));
    Path fp32 = dir.resolve("tiny-fp32");
    assertThat(Main.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
        "init-model", "--size", "tiny", "--out", fp32.toString())).isZero();
    base = dir.resolve("tiny-bf16");
    try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
      CausalLm model = ModelFiles.load(fp32, manager);
      ModelFiles.save(model, base, fp32, model.namedParameters().keySet(), "BF16");
    }
  }

  @ParameterizedTest(name = "{0}, checkpointing {1}")
  @CsvSource(delimiter = ';', value = {
      "[full]; false; ",
      "[full]; true; ",
      "[freeze]; true; freeze.trainable-layers = 2",
      "[lora]; false; lora { target = all-linear, dropout = 0.1 }",
      "[lora]; true; lora { target = all-linear, dropout = 0.1 }",
      "[lora]; true; lora { use-dora = true }",
      "[lora]; false; lora { init = pissa }",
      "[lora]; true; lora { init = pissa_niter_4, pissa-convert = true }",
      "[lora]; true; model.quantization = nf4",
      "[lora]; true; model.quantization = nf4, lora.modules-to-save = [embed_tokens, lm_head]",
      "[full, galore]; false; galore { rank = 8, update-interval = 2 }",
      "[full, galore]; true; galore { rank = 8, layerwise = true }, training.max-grad-norm = 0",
      "[full, badam]; true; badam { switch-interval = 2, include-embedding = true, include-lm-head = true }",
      "[full, badam]; false; badam { mode = ratio, update-ratio = 0.5 }"})
  void trainsInBf16(String methods, boolean checkpointing, String extra) throws IOException {
    Path train = Path.of("..", "examples", "data", "train.jsonl").toAbsolutePath().normalize();
    Path out = dir.resolve("out-" + Math.abs((methods + checkpointing + extra).hashCode()));
    Path file = dir.resolve("run-" + out.getFileName() + ".conf");
    Files.writeString(file, """
        model.path = "%s"
        methods = %s
        data { train = "%s", eval = "%s", cutoff-len = 64 }
        training { learning-rate = 5e-3, epochs = 1, batch-size = 8, max-steps = 6, logging-steps = 2, warmup-steps = 0,
                   threads = 2, precision = bf16, gradient-checkpointing = %s }
        output.dir = "%s"
        %s
        """.formatted(base, methods, train, eval, checkpointing, out,
        extra == null ? "" : extra));
    StringWriter output = new StringWriter();
    StringWriter errors = new StringWriter();

    int exit = Main.run(new PrintWriter(output, true), new PrintWriter(errors, true), "train", file.toString());

    assertThat(exit).as(errors + "\n" + output).isZero();
    assertThat(output.toString()).contains("precision bf16 (training.precision = bf16)");
    Matcher loss = Pattern.compile("eval loss (\\d+\\.\\d+) -> (\\d+\\.\\d+)").matcher(output.toString());
    assertThat(loss.find()).as(output.toString()).isTrue();
    assertThat(Double.parseDouble(loss.group(2))).as(output.toString()).isLessThan(Double.parseDouble(loss.group(1)));
    if (methods.contains("lora")) {
      try (SafetensorsFile adapter = SafetensorsFile.open(out.resolve("adapter/adapter_model.safetensors"))) {
        assertThat(adapter.tensors().values()).allSatisfy(t -> assertThat(t.dtype()).isEqualTo("F32"));
      }
      assertThat(out.resolve("pissa_converted/adapter_model.safetensors").toFile().exists())
          .isEqualTo(extra.contains("pissa-convert"));
    } else {
      try (SafetensorsFile model = SafetensorsFile.open(out.resolve("model/model.safetensors"))) {
        assertThat(model.tensors().values()).allSatisfy(t -> assertThat(t.dtype()).isEqualTo("BF16"));
      }
      assertThat(Files.readString(out.resolve("model/config.json"))).contains("\"torch_dtype\": \"bfloat16\"");
    }
  }
}
