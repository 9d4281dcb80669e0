package dev.peft4j.runtime.config.llamafactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.config.ConfigurationException;
import dev.peft4j.api.config.Origins;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.runtime.config.RunConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LlamaFactoryRunTest {

  @TempDir
  Path dir;

  @BeforeEach
  void folders() throws IOException {
    Files.createDirectories(dir.resolve("model"));
    Files.createDirectories(dir.resolve("data"));
    Files.writeString(dir.resolve("data/a.jsonl"), "{\"instruction\": \"1 + 1\", \"output\": \"2\"}\n");
    Files.writeString(dir.resolve("data/b.json"), "[{\"instruction\": \"2 + 2\", \"output\": \"4\"}]\n");
    Files.writeString(dir.resolve("data/chat.json"), "[{\"conversations\": []}]\n");
    Files.writeString(dir.resolve("data/dataset_info.json"), """
        {"a": {"file_name": "a.jsonl"},
         "b": {"file_name": "b.json", "formatting": "alpaca", "columns": {"prompt": "instruction"}},
         "chat": {"file_name": "chat.json", "formatting": "sharegpt"},
         "renamed": {"file_name": "a.jsonl", "columns": {"prompt": "question", "response": "answer", "system": "sys"}},
         "openai": {"file_name": "chat.json", "formatting": "sharegpt", "columns": {"messages": "messages"},
                    "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                             "assistant_tag": "assistant"}},
         "pictures": {"file_name": "a.jsonl", "columns": {"prompt": "instruction", "images": "images"}},
         "typo": {"file_name": "a.jsonl", "columns": {"promt": "instruction"}},
         "c4": {"file_name": "a.jsonl", "columns": {"prompt": "text"}},
         "hub": {"hf_hub_url": "someone/data"}}
        """);
  }

  /** A run file of {@code body} after a model and (unless {@code body} names its own) data set a, on lines 1 and 2. */
  private Path yaml(String body) throws IOException {
    Path file = dir.resolve("run.yaml");
    String dataset = body.lines().anyMatch(line -> line.startsWith("dataset:")) ? "# its own data set\n" : "dataset: a\n";
    Files.writeString(file, "model_name_or_path: model\n" + dataset + body);
    return file;
  }

  private LlamaFactoryRun.Translation translate(String body, String... overrides) throws IOException {
    return LlamaFactoryRun.translate(yaml(body), List.of(overrides), dir);
  }

  private List<SettingProblem> problems(String body) {
    try {
      translate(body);
    } catch (ConfigurationException e) {
      return e.problems();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("no problem in " + body);
  }

  @Test
  void appliesLlamaFactoryDefaultsWhereTheFileIsSilent() throws IOException {
    Config config = translate("").config();
    assertThat(config.getStringList("peft4j.methods")).containsExactly("lora");
    assertThat(config.getInt("peft4j.lora.rank")).isEqualTo(8);
    assertThat(config.getInt("peft4j.lora.alpha")).isEqualTo(16);
    assertThat(config.getString("peft4j.lora.target")).isEqualTo("all-linear");
    assertThat(config.getInt("peft4j.data.cutoff-len")).isEqualTo(2048);
    assertThat(config.getDouble("peft4j.training.learning-rate")).isEqualTo(5e-5);
    assertThat(config.getInt("peft4j.training.batch-size")).isEqualTo(8);
    assertThat(config.getString("peft4j.training.lr-scheduler")).isEqualTo("linear");
    assertThat(config.getBoolean("peft4j.training.gradient-checkpointing")).isTrue();
    assertThat(config.getString("peft4j.training.precision")).isEqualTo("fp32");
    assertThat(config.getString("peft4j.model.path")).isEqualTo(dir.resolve("model").toString());
  }

  /** As LLaMA-Factory (PEFT's from_pretrained), the adapter trains further as its adapter_config.json says. */
  @Test
  void anAdapterToTrainFurtherKeepsTheSettingsOfItsConfig() throws IOException {
    Path adapter = Files.createDirectories(dir.resolve("saves/adapter"));
    Files.writeString(adapter.resolve("adapter_config.json"), """
        {"peft_type": "LORA", "r": 16, "lora_alpha": 32, "lora_dropout": 0.05, "use_rslora": false,
         "use_dora": false, "target_modules": ["v_proj", "q_proj"]}
        """);
    LlamaFactoryRun.Translation translation = translate("adapter_name_or_path: saves/adapter\nlora_rank: 8\n");
    Config config = translation.config();
    assertThat(config.getInt("peft4j.lora.rank")).isEqualTo(16);
    assertThat(config.getInt("peft4j.lora.alpha")).isEqualTo(32);
    assertThat(config.getDouble("peft4j.lora.dropout")).isEqualTo(0.05);
    assertThat(config.getStringList("peft4j.lora.target")).containsExactly("v_proj", "q_proj");
    assertThat(translation.settings()).anySatisfy(s -> {
      assertThat(s.path()).isEqualTo("peft4j.lora.rank");
      assertThat(s.from()).contains("adapter_config.json");
    });
    assertThat(translation.notes()).singleElement().satisfies(note -> {
      assertThat(note.path()).isEqualTo("lora_rank");
      assertThat(note.message()).contains("lora_rank: 8 is not used", "r 16");
    });
  }

  @Test
  void anAdapterToTrainFurtherKeepsItsModulesToSave() throws IOException {
    Path adapter = Files.createDirectories(dir.resolve("saves/adapter"));
    Files.writeString(adapter.resolve("adapter_config.json"), """
        {"peft_type": "LORA", "r": 8, "lora_alpha": 16, "modules_to_save": ["lm_head"]}
        """);
    Config config = translate("adapter_name_or_path: saves/adapter\nadditional_target: embed_tokens\n").config();
    assertThat(config.getStringList("peft4j.lora.modules-to-save")).containsExactly("lm_head");

    Files.writeString(adapter.resolve("adapter_config.json"), """
        {"peft_type": "LORA", "r": 8, "lora_alpha": 16, "modules_to_save": null}
        """);
    LlamaFactoryRun.Translation none = translate("adapter_name_or_path: saves/adapter\nadditional_target: lm_head\n");
    assertThat(none.config().getStringList("peft4j.lora.modules-to-save")).isEmpty();
    assertThat(none.notes()).anySatisfy(note -> assertThat(note.message()).contains("additional_target: ", "is not used"));
    assertThat(translate("adapter_name_or_path: saves/adapter\nlora_rank: 8\n").config()
        .hasPath("peft4j.lora.modules-to-save")).as("nothing to save, nothing set").isFalse();
  }

  @Test
  void everyValueNamesTheLineItCameFrom() throws IOException {
    Path file = yaml("finetuning_type: lora\nlora_rank: 32\nlearning_rate: 1.0e-4\n");
    Config config = LlamaFactoryRun.translate(file, List.of(), dir).config();
    assertThat(Origins.describe(config.getValue("peft4j.lora.rank").origin())).isEqualTo(file + ":4");
    assertThat(Origins.describe(config.getValue("peft4j.training.learning-rate").origin())).isEqualTo(file + ":5");
    assertThat(config.getInt("peft4j.lora.alpha")).as("lora_rank x 2").isEqualTo(64);
    assertThat(config.getDouble("peft4j.training.learning-rate")).isEqualTo(1e-4);
  }

  @Test
  void overridesInLlamaFactoryNamesWinOverTheFile() throws IOException {
    LlamaFactoryRun.Translation translation = translate("lora_rank: 32\n", "lora_rank=4");
    assertThat(translation.config().getInt("peft4j.lora.rank")).isEqualTo(4);
    assertThat(Origins.describe(translation.config().getValue("peft4j.lora.rank").origin()))
        .isEqualTo("--set lora_rank=4");
  }

  /** Every key of the seed's tables (FreezeArguments, LoraArguments, GaloreArguments, BAdamArgument). */
  @ParameterizedTest
  @ValueSource(strings = {
      "finetuning_type: freeze|freeze_trainable_layers: 3|peft4j.freeze.trainable-layers=3",
      "finetuning_type: freeze|freeze_trainable_modules: mlp,self_attn|peft4j.freeze.trainable-modules=[mlp, self_attn]",
      "finetuning_type: freeze|freeze_extra_modules: embed_tokens,norm|peft4j.freeze.extra-modules=[embed_tokens, norm]",
      "finetuning_type: lora|additional_target: embed_tokens|peft4j.lora.modules-to-save=[embed_tokens]",
      "finetuning_type: lora|lora_alpha: 32|peft4j.lora.alpha=32",
      "finetuning_type: lora|lora_dropout: 0.1|peft4j.lora.dropout=0.1",
      "finetuning_type: lora|lora_rank: 16|peft4j.lora.rank=16",
      "finetuning_type: lora|lora_target: q_proj,v_proj|peft4j.lora.target=[q_proj, v_proj]",
      "finetuning_type: lora|loraplus_lr_ratio: 16.0|peft4j.lora.loraplus-lr-ratio=16.0",
      "finetuning_type: lora|loraplus_lr_embedding: 1.0e-5|peft4j.lora.loraplus-lr-embedding=1.0E-5",
      "finetuning_type: lora|use_rslora: true|peft4j.lora.use-rslora=true",
      "finetuning_type: lora|use_dora: true|peft4j.lora.use-dora=true",
      "finetuning_type: lora|pissa_init: true|peft4j.lora.init=pissa_niter_16",
      "pissa_init: true|pissa_iter: -1|peft4j.lora.init=pissa",
      "pissa_init: true|pissa_convert: true|peft4j.lora.pissa-convert=true",
      "finetuning_type: lora|create_new_adapter: true|refused",
      "finetuning_type: full|use_galore: true|peft4j.methods=[full, galore]",
      "use_galore: true\nfinetuning_type: full|galore_target: mlp|peft4j.galore.target=[mlp]",
      "use_galore: true\nfinetuning_type: full|galore_rank: 64|peft4j.galore.rank=64",
      "use_galore: true\nfinetuning_type: full|galore_update_interval: 50|peft4j.galore.update-interval=50",
      "use_galore: true\nfinetuning_type: full|galore_scale: 0.25|peft4j.galore.scale=0.25",
      "use_galore: true\nfinetuning_type: full|galore_proj_type: left|peft4j.galore.proj-type=left",
      "use_galore: true\nfinetuning_type: full|galore_layerwise: true|peft4j.galore.layerwise=true",
      "finetuning_type: full|use_badam: true|peft4j.methods=[full, badam]",
      "use_badam: true\nfinetuning_type: full|badam_mode: ratio|peft4j.badam.mode=ratio",
      "use_badam: true\nfinetuning_type: full|badam_start_block: 1|peft4j.badam.start-block=1",
      "use_badam: true\nfinetuning_type: full|badam_switch_mode: random|peft4j.badam.switch-mode=random",
      "use_badam: true\nfinetuning_type: full|badam_switch_interval: 10|peft4j.badam.switch-interval=10",
      "use_badam: true\nfinetuning_type: full|badam_update_ratio: 0.1|peft4j.badam.update-ratio=0.1",
      "use_badam: true\nfinetuning_type: full|badam_mask_mode: scatter|peft4j.badam.mask-mode=scatter",
      "use_badam: true\nfinetuning_type: full|badam_verbose: 2|peft4j.badam.verbose=2"})
  void mapsOrRefusesEverySeedKey(String testCase) throws IOException {
    String[] parts = testCase.split("\\|");
    String key = parts[1].substring(0, parts[1].indexOf(':'));
    String body = parts[0] + "\n" + parts[1] + "\n";
    if (parts[2].equals("refused")) {
      assertThat(problems(body)).anySatisfy(problem -> {
        assertThat(problem.path()).isEqualTo(key);
        assertThat(problem.origin()).isEqualTo(dir.resolve("run.yaml") + ":4");
      });
      return;
    }
    String path = parts[2].substring(0, parts[2].indexOf('='));
    String expected = parts[2].substring(parts[2].indexOf('=') + 1);
    Config config = translate(body).config();
    assertThat(config.getValue(path).unwrapped().toString()).as(key).isEqualTo(expected);
  }

  @Test
  void aFourBitBaseIsDoubleQuantizedUnlessTheFileSaysNotAsInLlamaFactory() throws IOException {
    LlamaFactoryRun.Translation silent = translate("quantization_bit: 4\n");
    assertThat(silent.config().getString("peft4j.model.quantization")).isEqualTo("nf4");
    assertThat(silent.config().getBoolean("peft4j.model.double-quantization")).as("LLaMA-Factory's default").isTrue();
    assertThat(silent.settings()).anySatisfy(s -> {
      assertThat(s.path()).isEqualTo("peft4j.model.double-quantization");
      assertThat(s.from()).isEqualTo("the default of double_quantization");
    });
    assertThat(silent.notes()).isEmpty();

    Config off = translate("quantization_bit: 4\ndouble_quantization: false\n").config();
    assertThat(off.getBoolean("peft4j.model.double-quantization")).isFalse();
    assertThat(Origins.describe(off.getValue("peft4j.model.double-quantization").origin()))
        .isEqualTo(dir.resolve("run.yaml") + ":4");

    // without quantization_bit, LLaMA-Factory quantizes nothing: double_quantization changes nothing
    LlamaFactoryRun.Translation unquantized = translate("double_quantization: true\n");
    assertThat(unquantized.config().hasPath("peft4j.model.double-quantization")).isFalse();
    assertThat(unquantized.notes()).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("double_quantization");
      assertThat(p.message()).contains("quantization_bit is not set");
    });
    assertThat(problems("quantization_bit: 4\ndouble_quantization: often\n")).singleElement().satisfies(p -> {
      assertThat(p.origin()).endsWith("run.yaml:4");
      assertThat(p.message()).contains("must be true or false");
    });
  }

  @Test
  void refusesWhatPeft4jCannotHonourNamingTheLine() {
    assertThat(problems("stage: dpo\n")).singleElement().satisfies(p -> {
      assertThat(p.origin()).endsWith("run.yaml:3");
      assertThat(p.message()).contains("stage dpo is not supported");
    });
    assertThat(problems("deepspeed: ds_z3_config.json\n")).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("DeepSpeed is not supported"));
    assertThat(problems("report_to: wandb\n")).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("report_to: wandb is not supported"));
    assertThat(problems("template: llama2\n")).singleElement().satisfies(p -> assertThat(p.message())
        .contains("template llama2 is not implemented", "llama3, qwen, qwen3_nothink, mistral, gemma, phi, alpaca, "
            + "default", "did you mean 'llama3'?"));
    assertThat(problems("val_size: 0.1\neval_dataset: b\n")).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("cannot be set with eval_dataset"));
    assertThat(problems("fp16: true\n")).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("bf16: true"));
    assertThat(problems("use_llama_pro: true\n")).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("peft4j does not support"));
  }

  @Test
  void anUnknownKeyGetsADidYouMeanOverLlamaFactorysNames() {
    assertThat(problems("lora_rnak: 8\n")).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("lora_rnak");
      assertThat(p.origin()).endsWith("run.yaml:3");
      assertThat(p.message()).isEqualTo("unknown key 'lora_rnak': did you mean 'lora_rank'?");
    });
  }

  @Test
  void aHubIdIsToBeDownloadedFirst() throws IOException {
    Files.writeString(dir.resolve("run.yaml"), "model_name_or_path: meta-llama/Meta-Llama-3-8B-Instruct\ndataset: a\n");
    assertThatThrownBy(() -> LlamaFactoryRun.translate(dir.resolve("run.yaml"), List.of(), dir))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("run.yaml:1")
        .hasMessageContaining("meta-llama/Meta-Llama-3-8B-Instruct")
        .hasMessageContaining("download it first");
  }

  @Test
  void keysThatChangeNothingAreOneWarningEach() throws IOException {
    LlamaFactoryRun.Translation translation = translate("""
        ddp_timeout: 180000000
        dataloader_num_workers: 4
        preprocessing_num_workers: 16
        overwrite_cache: true
        report_to: none
        trust_remote_code: true
        save_only_model: false
        """);
    assertThat(translation.notes()).extracting(SettingProblem::path).containsExactly("ddp_timeout",
        "dataloader_num_workers", "preprocessing_num_workers", "overwrite_cache", "report_to", "trust_remote_code",
        "save_only_model");
    assertThat(translation.notes().get(0).origin()).endsWith("run.yaml:3");
  }

  @Test
  void readsDatasetsThroughDatasetInfo() throws IOException {
    Config config = translate("dataset: a, b\nmax_samples: 100\n", "dataset_dir=data").config();
    assertThat(config.getStringList("peft4j.data.train"))
        .containsExactly(dir.resolve("data/a.jsonl").toString(), dir.resolve("data/b.json").toString());
    assertThat(config.getString("peft4j.data.format")).isEqualTo("alpaca");
    assertThat(config.getInt("peft4j.data.max-samples")).isEqualTo(100);
    assertThat(translate("dataset: chat\n").config().getString("peft4j.data.format")).isEqualTo("sharegpt");
  }

  @Test
  void readsTheFieldsDatasetInfoNamesAndOnlyThoseLlamaFactoryReads() throws IOException {
    Config renamed = translate("dataset: renamed\n").config();
    assertThat(renamed.getString("peft4j.data.columns.prompt")).isEqualTo("question");
    assertThat(renamed.getString("peft4j.data.columns.response")).isEqualTo("answer");
    assertThat(renamed.getString("peft4j.data.columns.system")).isEqualTo("sys");
    assertThat(renamed.hasPath("peft4j.data.columns.query")).isFalse(); // LLaMA-Factory's default is peft4j's
    // LLaMA-Factory reads no history (nor system) column that dataset_info.json does not name
    assertThat(renamed.hasPathOrNull("peft4j.data.columns.history")).isTrue();
    assertThat(renamed.getIsNull("peft4j.data.columns.history")).isTrue();
    Config openAi = translate("dataset: openai\n").config();
    assertThat(openAi.getString("peft4j.data.columns.messages")).isEqualTo("messages");
    assertThat(openAi.getString("peft4j.data.tags.user")).isEqualTo("user");
    assertThat(openAi.getString("peft4j.data.tags.content")).isEqualTo("content");
    assertThat(openAi.hasPath("peft4j.data.tags.system")).isFalse();
    // pt learns the prompt column's text: "instruction" unless named
    assertThat(translate("dataset: c4\nstage: pt\n").config().hasPath("peft4j.data.columns.text")).isFalse(); // "text"
    assertThat(translate("stage: pt\n").config().getString("peft4j.data.columns.text")).isEqualTo("instruction");
  }

  @Test
  void mapsTheTemplateAndTheHeldOutSplit() throws IOException {
    Config config = translate("template: qwen3_nothink\nval_size: 0.1\neval_strategy: steps\neval_steps: 5\n")
        .config();
    assertThat(config.getString("peft4j.data.template")).isEqualTo("qwen3_nothink");
    assertThat(config.getDouble("peft4j.data.val-size")).isEqualTo(0.1);
    assertThat(config.getInt("peft4j.training.eval-steps")).isEqualTo(5);
    // above 1 a count, as LLaMA-Factory's int(val_size); without template: the model's own (nothing set)
    Config counted = translate("val_size: 20.7\n").config();
    assertThat(counted.getDouble("peft4j.data.val-size")).isEqualTo(20.0);
    assertThat(counted.hasPath("peft4j.data.template")).isFalse();
  }

  @Test
  void refusesDatasetsPeft4jCannotReadAsLlamaFactoryDoes() {
    assertThat(problems("dataset: a,chat\n")).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("mix formattings"));
    assertThat(problems("dataset: a, renamed\n")).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("data sets a and renamed name their fields differently"));
    assertThat(problems("dataset: pictures\n")).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("column 'images' is not supported: peft4j trains text models"));
    assertThat(problems("dataset: typo\n")).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("no column 'promt': did you mean 'prompt'?"));
    assertThat(problems("dataset: hub\n")).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("download it first"));
    assertThat(problems("dataset: aa\n")).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("did you mean 'a'?"));
  }

  @Test
  void aDatasetDirWithoutDatasetInfoIsOneProblem() {
    assertThat(problems("dataset_dir: nowhere\n")).singleElement().satisfies(p -> {
      assertThat(p.origin()).endsWith("run.yaml:2");
      assertThat(p.message()).contains("dataset_info.json does not exist");
    });
  }

  @Test
  void anOverrideInLlamaFactorysStyleIsCheckedAgainstItsNames() throws IOException {
    Path file = yaml("dataset_dir: " + dir.resolve("data") + "\n"); // the loader resolves against the working folder
    assertThatThrownBy(() -> RunConfigLoader.load(Optional.of(file), List.of("lora_rnak=3"), new Properties(),
        ConfigFactory.empty()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("--set lora_rnak=3")
        .hasMessageContaining("did you mean 'lora_rank'?");
    Config user = RunConfigLoader.load(Optional.of(file), List.of("lora.rank=4"), new Properties(),
        ConfigFactory.empty()).user();
    assertThat(user.getInt("peft4j.lora.rank")).as("peft4j's name overrides the translation").isEqualTo(4);
  }

  @Test
  void warmupCosineBf16AndEvalAsTransformersRunsThem() throws IOException {
    Config config = translate("""
        lr_scheduler_type: cosine
        warmup_ratio: 0.1
        bf16: true
        eval_dataset: b
        eval_strategy: steps
        eval_steps: 50
        """).config();
    assertThat(config.getString("peft4j.training.lr-scheduler")).isEqualTo("cosine");
    assertThat(config.getDouble("peft4j.training.warmup-ratio")).isEqualTo(0.1);
    assertThat(config.getString("peft4j.training.precision")).isEqualTo("bf16");
    assertThat(config.getInt("peft4j.training.eval-steps")).isEqualTo(50);
    assertThat(config.getStringList("peft4j.data.eval")).containsExactly(dir.resolve("data/b.json").toString());
    assertThat(problems("warmup_steps: 0.1\n")).singleElement()
        .satisfies(p -> assertThat(p.message()).contains("warmup_ratio"));
  }

  @Test
  void aYamlSyntaxErrorNamesItsLine() throws IOException {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "model_name_or_path: model\nlora_rank: [8\n");
    assertThatThrownBy(() -> LlamaFactoryRun.translate(file, List.of(), dir))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("not valid YAML");
    Files.writeString(file, "lora_rank: 8\nlora_rank: 16\n");
    assertThatThrownBy(() -> LlamaFactoryRun.translate(file, List.of(), dir))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("bad.yaml:2");
  }

  @Test
  void convertWritesEveryKeyWithWhereItCameFrom() throws IOException {
    LlamaFactoryRun.Translation translation = translate("lora_rank: 4\nddp_timeout: 10\n");
    String hocon = HoconConversion.render(translation, dir.resolve("run.yaml"), dir);
    assertThat(hocon).contains("lora.rank = 4  # lora_rank: 4 (line 3)", "model.path = \"model\"",
        "lora.alpha = 8  # LLaMA-Factory's default of lora_alpha: lora_rank x 2",
        "# ddp_timeout (" + dir.resolve("run.yaml") + ":4): changes nothing");
    Config reread = ConfigFactory.parseString(hocon);
    assertThat(reread.getInt("lora.rank")).isEqualTo(4);
    assertThat(reread.getStringList("methods")).containsExactly("lora");
  }
}
