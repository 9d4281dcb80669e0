package dev.peft4j.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.peft4j.runtime.train.MetricsLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** init-model, train, resume, generate and evaluate through the command line, on a model made for the test. */
class CliTrainTest {

  @TempDir
  Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int peft4j(String... args) {
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  /** The eval loss of a run's first (step 0) or last metrics line, from {@code FOLDER/metrics.jsonl}. */
  private double evalLoss(String folder, boolean last) throws IOException {
    List<JsonObject> metrics = MetricsLog.read(dir.resolve(folder).resolve("metrics.jsonl"));
    return metrics.get(last ? metrics.size() - 1 : 0).get("eval_loss").getAsDouble();
  }

  private Path run(int maxSteps, String methods) throws IOException {
    Path data = Path.of("..", "examples", "data").toAbsolutePath().normalize();
    Path file = dir.resolve("run.conf");
    Files.writeString(file, """
        model.path = model
        methods = %s
        freeze.trainable-layers = 1
        data { train = "%s", eval = "%s", cutoff-len = 64 }
        training { learning-rate = 1e-3, epochs = 1, batch-size = 8, max-steps = %d, logging-steps = 2, eval-steps = 0,
                   save-steps = 2, warmup-steps = 1, threads = 2 }
        output.dir = out
        """.formatted(methods, data.resolve("train.jsonl"), data.resolve("eval.jsonl"), maxSteps));
    return file;
  }

  @Test
  void initTrainResumeGenerateEvaluate() throws IOException {
    assertThat(peft4j("init-model", "--size", "tiny", "--out", dir.resolve("model").toString())).as(err.toString()).isZero();
    assertThat(out.toString()).contains("4 layers, hidden 128");
    assertThat(peft4j("init-model", "--size", "tiny", "--out", dir.resolve("model").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("already exists");

    assertThat(peft4j("train", run(4, "[full]").toString())).as(err.toString()).isZero();
    assertThat(out.toString()).contains("trainable params: 751,744 || all params: 751,744 || trainable%: 100.0000",
        "step 0: eval loss", "eval loss", "->");
    Path output = dir.resolve("out");
    assertThat(output.resolve("model/model.safetensors")).exists();
    assertThat(output.resolve("model/tokenizer.json")).exists();
    assertThat(output.resolve("loss.png")).exists();
    assertThat(output.resolve("checkpoints")).isDirectoryContaining(p -> p.getFileName().toString().equals("step-000004"));

    assertThat(peft4j("train", run(6, "[full]").toString(), "--resume")).isEqualTo(1);
    assertThat(err.toString()).contains("training.max-steps: 4 in the checkpoint, 6 now", "--accept-change training.max-steps");
    assertThat(peft4j("train", run(6, "[full]").toString(), "--resume", "--accept-change", "training.max-steps"))
        .as(err.toString()).isZero();
    assertThat(out.toString()).contains("resuming from", "at step 4/6");
    List<JsonObject> metrics = MetricsLog.read(output.resolve("metrics.jsonl"));
    assertThat(metrics.stream().filter(m -> m.has("loss")).map(m -> m.get("step").getAsInt()))
        .containsExactly(2, 4, 6);

    assertThat(peft4j("generate", "--model", output.resolve("model").toString(), "--prompt", "What is 12 + 30?",
        "--max-new-tokens", "4")).as(err.toString()).isZero();
    assertThat(err.toString()).isEmpty();

    assertThat(peft4j("evaluate", "--model", output.resolve("model").toString(), "--data",
        Path.of("..", "examples", "data", "eval.jsonl").toString(), "--limit", "5", "--max-new-tokens", "4")).isZero();
    assertThat(out.toString()).containsPattern("exact match: \\d/5 = ");
  }

  /**
   * {@code --template}: generate and evaluate through the LLaMA-Factory template training used; one for another
   * family, or a name that is none, is an error that says so.
   */
  @Test
  void generateAndEvaluateTakeTheTemplateTrainingUsed() throws IOException {
    Path model = dir.resolve("model");
    assertThat(peft4j("init-model", "--size", "tiny", "--out", model.toString())).as(err.toString()).isZero();
    String eval = Path.of("..", "examples", "data", "eval.jsonl").toString();

    assertThat(peft4j("generate", "--model", model.toString(), "--template", "alpaca", "--prompt", "What is 1 + 2?",
        "--max-new-tokens", "3")).as(err.toString()).isZero();
    assertThat(peft4j("evaluate", "--model", model.toString(), "--template", "alpaca", "--data", eval, "--limit", "2",
        "--max-new-tokens", "3")).as(err.toString()).isZero();
    assertThat(out.toString()).containsPattern("exact match: \\d/2 = ");

    assertThat(peft4j("evaluate", "--model", model.toString(), "--template", "llama3", "--data", eval)).isEqualTo(1);
    assertThat(err.toString()).contains("template llama3 ends each answer with <|eot_id|>", "--template")
        .doesNotContain("internal error");
    assertThat(peft4j("generate", "--model", model.toString(), "--template", "llama-3", "--prompt", "hi")).isEqualTo(2);
    assertThat(err.toString()).contains("unknown --template 'llama-3'", "llama3", "qwen3_nothink");
  }

  /** {@code --stop} ends the answer where it first holds the text, cut before it. */
  @Test
  void generateStopsAtAStopString() {
    assertThat(peft4j("init-model", "--size", "tiny", "--out", dir.resolve("model").toString())).isZero();
    String[] generate = {"generate", "--model", dir.resolve("model").toString(), "--prompt", "What is 12 + 30?",
        "--max-new-tokens", "12"};
    assertThat(peft4j(generate)).as(err.toString()).isZero();
    String free = out.toString().replaceFirst("\\R$", "");
    assertThat(free).as("the untrained model's greedy answer").hasSizeGreaterThanOrEqualTo(6);
    String stop = free.substring(4, 6);

    String[] stopped = java.util.Arrays.copyOf(generate, generate.length + 2);
    stopped[generate.length] = "--stop";
    stopped[generate.length + 1] = stop;
    assertThat(peft4j(stopped)).as(err.toString()).isZero();

    assertThat(out.toString().replaceFirst("\\R$", "")).isEqualTo(free.substring(0, free.indexOf(stop)));
    assertThat(peft4j("generate", "--model", dir.resolve("model").toString(), "--prompt", "x", "--stop", ""))
        .isEqualTo(2);
    assertThat(err.toString()).contains("no empty --stop");
  }

  @Test
  void initModelTakesTheSizesOfAConfigJson() throws IOException {
    Path config = dir.resolve("my-config.json");
    Files.writeString(config, """
        {"model_type": "qwen2", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3,
         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 120, "tie_word_embeddings": true}
        """);

    assertThat(peft4j("init-model", "--config", config.toString(), "--out", dir.resolve("q").toString()))
        .as(err.toString()).isZero();

    assertThat(out.toString()).contains("qwen2, 3 layers, hidden 32, vocabulary 120");
    assertThat(dir.resolve("q/tokenizer.json")).exists();
    assertThat(peft4j("init-model", "--config", config.toString().replace("my-config", "none"), "--out",
        dir.resolve("r").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("none.json");
  }

  /** config.json of a tiny model of each family, as transformers writes one. */
  private static final java.util.Map<String, String> CONFIGS = java.util.Map.of(
      // head_dim 16 apart from hidden / heads, untied head
      "qwen3", """
          {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": 32, "intermediate_size": 64,
           "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 120,
           "max_position_embeddings": 128, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "hidden_act": "silu",
           "attention_bias": false, "use_sliding_window": false, "sliding_window": null, "tie_word_embeddings": false}
          """,
      // fused qkv_proj and gate_up_proj, a sliding window shorter than the data's sequences
      "phi3", """
          {"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_size": 32, "intermediate_size": 64,
           "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 120,
           "max_position_embeddings": 128, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "hidden_act": "silu",
           "rope_scaling": null, "sliding_window": 8, "tie_word_embeddings": false}
          """,
      // soft-caps, (1 + w) norms, a sliding window on layer 0, tied embeddings
      "gemma2", """
          {"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "hidden_size": 32, "intermediate_size": 64,
           "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "vocab_size": 120,
           "query_pre_attn_scalar": 8, "max_position_embeddings": 128, "hidden_activation": "gelu_pytorch_tanh",
           "sliding_window": 8, "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0}
          """);

  private void initModel(String family) throws IOException {
    Path config = dir.resolve(family + ".json");
    Files.writeString(config, CONFIGS.get(family));
    assertThat(peft4j("init-model", "--config", config.toString(), "--out", dir.resolve("model").toString()))
        .as(err.toString()).isZero();
    assertThat(out.toString()).contains(family + ", 2 layers, hidden 32, vocabulary 120");
  }

  /** Every built-in method trains a model of each family that init-model made from a config.json, and saves it. */
  @org.junit.jupiter.params.ParameterizedTest(name = "{1} on {0}")
  @org.junit.jupiter.params.provider.CsvSource(delimiter = ';', value = {
      "qwen3; [lora]; lora.use-dora = true; adapter/adapter_model.safetensors",
      "qwen3; [freeze]; ; model/model.safetensors",
      "qwen3; [full]; ; model/model.safetensors",
      "qwen3; [full, galore]; galore.rank = 4; model/model.safetensors",
      "qwen3; [full, badam]; badam.switch-interval = 1, training.precision = auto; model/model.safetensors",
      "phi3; [lora]; lora { use-dora = true, target = [qkv_proj, gate_up_proj] }; adapter/adapter_model.safetensors",
      "phi3; [freeze]; ; model/model.safetensors",
      "phi3; [full]; ; model/model.safetensors",
      "phi3; [full, galore]; galore.rank = 4; model/model.safetensors",
      "phi3; [full, badam]; badam.switch-interval = 1, training.precision = auto; model/model.safetensors",
      "gemma2; [lora]; lora.use-dora = true; adapter/adapter_model.safetensors",
      "gemma2; [freeze]; ; model/model.safetensors",
      "gemma2; [full]; ; model/model.safetensors",
      "gemma2; [full, galore]; galore.rank = 4; model/model.safetensors",
      "gemma2; [full, badam]; badam.switch-interval = 1, training.precision = auto; model/model.safetensors"})
  void everyMethodTrainsEachFamily(String family, String methods, String settings, String saved) throws IOException {
    initModel(family);
    Path run = run(3, methods);
    Files.writeString(run, Files.readString(run) + (settings == null ? "" : settings + "\n"));

    assertThat(peft4j("train", run.toString())).as(err.toString()).isZero();

    assertThat(dir.resolve("out").resolve(saved)).exists();
    List<JsonObject> losses = MetricsLog.read(dir.resolve("out/metrics.jsonl")).stream().filter(m -> m.has("loss")).toList();
    assertThat(losses).isNotEmpty().allMatch(m -> Double.isFinite(m.get("loss").getAsDouble()));
  }

  /** PEFT has no default LoRA targets for phi3: a run that names none is told the model's linear modules. */
  @Test
  void loraOnPhi3WithoutTargetsNamesItsLinearModules() throws IOException {
    initModel("phi3");

    assertThat(peft4j("validate", run(3, "[lora]").toString())).isEqualTo(1);

    assertThat(err.toString()).contains("lora.target", "no module of this phi3 model is named \"q_proj\"",
        "self_attn.qkv_proj", "mlp.gate_up_proj");
  }

  @org.junit.jupiter.params.ParameterizedTest(name = "{0} on {1}")
  @org.junit.jupiter.params.provider.CsvSource({"dora, llama-tiny", "pissa, llama-tiny", "qwen3-dora, qwen3-tiny",
      "phi3-dora, phi3-tiny", "gemma2-dora, gemma2-tiny", "modules-to-save, llama-tiny"})
  void mergeFoldsAPeftAdapterIntoAModelThatGivesTheSameLogits(String adapter, String base) {
    Path merged = dir.resolve("merged");
    Path fixture = dev.peft4j.runtime.testing.Fixtures.path("peft/" + adapter);

    assertThat(peft4j("merge", "--model", dev.peft4j.runtime.testing.Fixtures.path(base).toString(), "--adapter",
        fixture.toString(), "--out", merged.toString())).as(err.toString()).isZero();
    // transformers builds the merged folder as it built the base: the same config.json keys and values
    JsonObject baseConfig = dev.peft4j.runtime.testing.Fixtures.json(
        dev.peft4j.runtime.testing.Fixtures.path(base).resolve("config.json"));
    JsonObject mergedConfig = dev.peft4j.runtime.testing.Fixtures.json(merged.resolve("config.json"));
    for (String key : List.of("model_type", "architectures", "head_dim", "hidden_size", "num_key_value_heads",
        "tie_word_embeddings", "rope_theta")) {
      if (baseConfig.has(key)) {
        assertThat(mergedConfig.get(key)).as(key).isEqualTo(baseConfig.get(key));
      }
    }

    com.google.gson.JsonObject expected = dev.peft4j.runtime.testing.Fixtures.json(
        fixture.resolve("expected.json"));
    try (ai.djl.ndarray.NDManager manager = ai.djl.engine.Engine.getEngine("PyTorch").newBaseManager()) {
      var model = dev.peft4j.runtime.model.ModelFiles.load(merged, manager);
      assertThat(model.namedParameters().keySet()).noneMatch(name -> name.contains("lora_"));
      long[] ids = dev.peft4j.runtime.testing.Fixtures.longs(expected.getAsJsonArray("input_ids"));
      int[][] mask = dev.peft4j.runtime.testing.Fixtures.ints(expected.getAsJsonArray("attention_mask"));
      float[] logits = model.forward(manager.create(ids, new ai.djl.ndarray.types.Shape(2, 9)), mask).toFloatArray();
      var reference = expected.getAsJsonArray("logits");
      double max = 0;
      for (int i = 0; i < logits.length; i++) {
        max = Math.max(max, Math.abs(logits[i] - reference.get(i).getAsDouble()));
      }
      // fp32 on both sides; a PiSSA merge adds B·A back onto the residual, one more rounding than DoRA's.
      assertThat(max).isLessThan(5e-5);
    }
  }

  @Test
  void loraTrainsOnAFourBitBaseAndSavesAPeftAdapter() throws IOException {
    peft4j("init-model", "--size", "tiny", "--out", dir.resolve("model").toString());
    Path run = run(3, "[lora]");
    Files.writeString(run, Files.readString(run) + "model.quantization = nf4\nlora { rank = 8, alpha = 16 }\n");

    assertThat(peft4j("train", run.toString())).as(err.toString()).isZero();

    // q_proj 8·128 + 128·8 and v_proj 8·128 + 64·8 in 4 layers; the 4-bit weights count as PEFT counts them.
    assertThat(out.toString()).contains("stored as NF4",
        "trainable params: 14,336 || all params: 766,080 || trainable%: 1.8713", "trained adapter: ");
    assertThat(dir.resolve("out/adapter/adapter_model.safetensors")).exists();
    assertThat(MetricsLog.read(dir.resolve("out/metrics.jsonl")).stream().filter(m -> m.has("loss"))
        .allMatch(m -> !m.get("loss").isJsonNull())).isTrue();
  }

  @Test
  void trainingContinuesFromASavedAdapter() throws IOException {
    peft4j("init-model", "--size", "tiny", "--out", dir.resolve("model").toString());
    Path run = run(3, "[lora]");
    assertThat(peft4j("train", run.toString())).as(err.toString()).isZero();
    double trainedEvalLoss = evalLoss("out", true);

    Files.writeString(run, Files.readString(run).replace("output.dir = out", "output.dir = again")
        + "model.adapter-path = out/adapter\n");
    assertThat(peft4j("train", run.toString())).as(err.toString()).isZero();

    assertThat(out.toString()).contains("adapter " + dir.resolve("out/adapter") + " loaded");
    assertThat(MetricsLog.read(dir.resolve("again/metrics.jsonl")).get(0).get("step").getAsInt()).isZero();
    assertThat(evalLoss("again", false)).isCloseTo(trainedEvalLoss, org.assertj.core.data.Offset.offset(1e-6));

    assertThat(peft4j("evaluate", "--model", dir.resolve("model").toString(), "--adapter", dir.resolve("again/adapter")
        .toString(), "--data", Path.of("..", "examples", "data", "eval.jsonl").toString(), "--limit", "3",
        "--max-new-tokens", "3")).as(err.toString()).isZero();
    assertThat(out.toString()).containsPattern("exact match: \\d/3 = ");
  }

  /**
   * {@code lora.pissa-convert}: training from the converted adapter on the unchanged base starts where the PiSSA run
   * ended. Both evaluate in float32; the base W and W_res + s·B₀·A₀ differ by roundings, hence 1e-5.
   */
  @Test
  void aConvertedPissaAdapterContinuesTheRunOnTheUnchangedBase() throws IOException {
    peft4j("init-model", "--size", "tiny", "--out", dir.resolve("model").toString());
    Path run = run(3, "[lora]");
    String pissa = Files.readString(run) + "lora { rank = 4, alpha = 8, init = pissa, pissa-convert = true }\n";
    Files.writeString(run, pissa);
    assertThat(peft4j("train", run.toString())).as(err.toString()).isZero();
    assertThat(out.toString()).contains("converted adapter: " + dir.resolve("out/pissa_converted"));
    double trainedEvalLoss = evalLoss("out", true);
    assertThat(trainedEvalLoss).isLessThan(evalLoss("out", false) - 1e-3);

    String again = Files.readString(run(3, "[lora]")).replace("output.dir = out", "output.dir = again")
        + "model.adapter-path = out/pissa_converted\n";
    Files.writeString(run, again);
    // rank 8 is the default and the converted rank; alpha 16 is not the default: the run must say it
    assertThat(peft4j("train", run.toString())).isEqualTo(1);
    assertThat(err.toString()).contains(dir.resolve("out/pissa_converted/adapter_config.json")
        + " does not describe the adapter this run would train: peft4j.lora.alpha = 8 where the adapter has 16");
    Files.writeString(run, again + "lora { rank = 8, alpha = 16 }\n");
    assertThat(peft4j("train", run.toString())).as(err.toString()).isZero();
    assertThat(evalLoss("again", false)).isCloseTo(trainedEvalLoss, org.assertj.core.data.Offset.offset(1e-5));
  }

  /**
   * {@code lora.modules-to-save} (LLaMA-Factory's additional_target): the modules train whole, are saved with the
   * adapter under PEFT's names, and come back with it, so training further starts where the run ended; a run that
   * does not name them is refused rather than given another model.
   */
  @Test
  void modulesToSaveTrainWholeAndComeBackWithTheAdapter() throws IOException {
    peft4j("init-model", "--size", "tiny", "--out", dir.resolve("model").toString());
    Path run = run(3, "[lora]");
    String withModules = Files.readString(run) + "lora.modules-to-save = [embed_tokens, lm_head]\n";
    Files.writeString(run, withModules);
    assertThat(peft4j("plan", run.toString())).as(err.toString()).isZero();
    assertThat(out.toString()).contains("lora.modules-to-save [embed_tokens, lm_head] trains 25,600 parameters in place");
    assertThat(peft4j("train", run.toString())).as(err.toString()).isZero();
    // q_proj 8·128 + 128·8 and v_proj 8·128 + 64·8 in 4 layers, and the two 100 × 128 modules whole
    assertThat(out.toString()).contains("trainable params: 39,936 ||");
    Path adapter = dir.resolve("out/adapter");
    com.google.gson.JsonObject config = dev.peft4j.runtime.testing.Fixtures.json(adapter.resolve("adapter_config.json"));
    assertThat(config.get("modules_to_save").toString()).isEqualTo("[\"embed_tokens\",\"lm_head\"]");
    try (ai.djl.ndarray.NDManager manager = ai.djl.engine.Engine.getEngine("PyTorch").newBaseManager()) {
      var saved = dev.peft4j.runtime.io.AdapterFiles.read(adapter, manager).tensors();
      var base = dev.peft4j.runtime.model.ModelFiles.load(dir.resolve("model"), manager).namedParameters();
      assertThat(saved).containsKeys("base_model.model.model.embed_tokens.weight", "base_model.model.lm_head.weight");
      assertThat(saved.get("base_model.model.lm_head.weight").toFloatArray())
          .isNotEqualTo(base.get("lm_head.weight").data().toFloatArray());
    }
    double trainedEvalLoss = evalLoss("out", true);

    String again = withModules.replace("output.dir = out", "output.dir = again") + "model.adapter-path = out/adapter\n";
    Files.writeString(run, again.replace("lora.modules-to-save = [embed_tokens, lm_head]\n", ""));
    assertThat(peft4j("train", run.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("peft4j.lora.modules-to-save = [] where the adapter has [embed_tokens, lm_head]");
    Files.writeString(run, again);
    assertThat(peft4j("train", run.toString())).as(err.toString()).isZero();
    assertThat(evalLoss("again", false)).isCloseTo(trainedEvalLoss, org.assertj.core.data.Offset.offset(1e-6));
  }

  @Test
  void freezeTrainsOnlyTheChosenLayers() throws IOException {
    peft4j("init-model", "--size", "tiny", "--out", dir.resolve("model").toString());

    assertThat(peft4j("train", run(2, "[freeze]").toString())).as(err.toString()).isZero();

    assertThat(out.toString()).contains("trainable params: 181,504 || all params: 751,744 || trainable%: 24.1444");
  }
}
