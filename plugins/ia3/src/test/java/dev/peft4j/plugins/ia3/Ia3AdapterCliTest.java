package dev.peft4j.plugins.ia3;

import static dev.peft4j.plugins.ia3.Ia3AgainstPeftTest.BASES;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.cli.Main;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelFiles;
import dev.peft4j.runtime.nn.Tensors;
import dev.peft4j.runtime.setup.Adapters;
import dev.peft4j.tck.KitModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code merge}, {@code evaluate} and {@code generate} with {@code --adapter} on IA³ adapters, through the command
 * line in this JVM (IA³ is on the test classpath, where discovery finds it): the runtime rebuilds the adapter from
 * its adapter_config.json with IA³'s {@code settingsOfAdapter}. Ia3CliIT does it with the built jar in a plugin
 * folder.
 */
class Ia3AdapterCliTest {

  @TempDir
  Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int peft4j(String... args) {
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  void mergeFoldsPeftsIa3AdapterIntoAModelWithTheAdaptersLogits() throws Exception {
    Path base = BASES.resolve("llama-tiny");
    Path adapter = Ia3AgainstPeftTest.fixture("llama");
    Path merged = dir.resolve("merged");

    assertThat(peft4j("merge", "--model", base.toString(), "--adapter", adapter.toString(), "--out", merged.toString()))
        .as(err.toString()).isZero();

    JsonObject expected = Ia3AgainstPeftTest.json(adapter.resolve("expected.json"));
    try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
      CausalLm mergedModel = ModelFiles.load(merged, manager);
      CausalLm unmerged = ModelFiles.load(base, manager);
      Adapters.attach(adapter, unmerged, Peft4j.builder().build().discovery(), manager);
      assertThat(mergedModel.namedParameters().keySet()).as("the merged model has the base's parameters only")
          .isEqualTo(ModelFiles.load(base, manager).namedParameters().keySet());

      float[] withAdapter = logits(unmerged, expected, manager);
      double mergedError = Ia3AgainstPeftTest.maxError(logits(mergedModel, expected, manager), withAdapter);
      double peftError = Ia3AgainstPeftTest.maxError(withAdapter, Ia3AgainstPeftTest.floats(
          expected.getAsJsonArray("logits")));
      System.out.printf("ia3 merge --adapter: max abs difference from the unmerged adapter %.3g; the adapter from "
          + "PEFT's logits %.3g%n", mergedError, peftError);
      assertThat(mergedError).as("merged model vs base + adapter").isLessThan(1e-5);
      assertThat(peftError).as("base + adapter, attached as the CLI attaches it, vs PEFT").isLessThan(1e-5);
    }
  }

  @Test
  void aLoraAdapterIsStillRebuiltByLoraWithIa3Installed() {
    // Both methods are asked; each claims only its own peft_type, so the LoRA folder is not ambiguous.
    assertThat(peft4j("merge", "--model", BASES.resolve("llama-tiny").toString(), "--adapter",
        Path.of("..", "..", "method-lora", "src", "test", "resources", "fixtures", "peft", "lora").toString(), "--out", dir.resolve("merged").toString())).as(err.toString()).isZero();
  }

  @Test
  void evaluateAndGenerateWithATrainedIa3AdapterAnswerAsItsMergedModel() throws IOException {
    Path model = KitModel.write(dir.resolve("model"));
    StringBuilder data = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      data.append("{\"instruction\": \"add ").append(i).append(" and ").append(i + 1)
          .append("\", \"output\": \"").append(2 * i + 1).append("\"}\n");
    }
    Path examples = Files.writeString(dir.resolve("data.jsonl"), data);
    Path run = Files.writeString(dir.resolve("run.conf"), """
        model.path = model
        methods = [ia3]
        data.train = data.jsonl
        training { epochs = 1, batch-size = 4, learning-rate = 0.05, max-steps = 2, threads = 1 }
        output.dir = out
        """);
    assertThat(peft4j("train", run.toString())).as(err.toString()).isZero();
    Path adapter = dir.resolve("out/adapter");
    assertThat(peft4j("merge", "--model", model.toString(), "--adapter", adapter.toString(), "--out",
        dir.resolve("merged").toString())).as(err.toString()).isZero();

    String[] evaluate = {"evaluate", "--data", examples.toString(), "--show", "8", "--max-new-tokens", "3"};
    String withAdapter = answers(evaluate, "--model", model.toString(), "--adapter", adapter.toString());
    assertThat(withAdapter).contains("exact match: ");
    assertThat(answers(evaluate, "--model", dir.resolve("merged").toString())).isEqualTo(withAdapter);

    String[] generate = {"generate", "--prompt", "add 3 and 4", "--max-new-tokens", "6"};
    assertThat(answers(generate, "--model", dir.resolve("merged").toString()))
        .isEqualTo(answers(generate, "--model", model.toString(), "--adapter", adapter.toString()));
  }

  /** What a command prints; it must succeed. */
  private String answers(String[] command, String... model) {
    String[] args = new String[command.length + model.length];
    System.arraycopy(command, 0, args, 0, command.length);
    System.arraycopy(model, 0, args, command.length, model.length);
    assertThat(peft4j(args)).as("%s: %s", String.join(" ", args), err).isZero();
    return out.toString();
  }

  private static float[] logits(CausalLm model, JsonObject expected, NDManager manager) {
    long[] ids = Ia3AgainstPeftTest.longs(expected.getAsJsonArray("input_ids"));
    int[][] mask = Ia3AgainstPeftTest.ints(expected.getAsJsonArray("attention_mask"));
    return model.forward(Tensors.of(manager, ids, new Shape(mask.length, mask[0].length)), mask).toFloatArray();
  }
}
