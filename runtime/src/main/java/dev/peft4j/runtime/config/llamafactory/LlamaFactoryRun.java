package dev.peft4j.runtime.config.llamafactory;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.peft4j.api.config.ConfigurationException;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.api.config.Suggestions;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.data.NamedChatTemplate;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A LLaMA-Factory run file translated into peft4j's settings: what LLaMA-Factory would run, key by key. Its defaults
 * apply where they differ from peft4j's and the file is silent (LoRA rank 8 with alpha 16 on every linear layer,
 * cutoff 2048, transformers' learning rate 5e-5, batch 8, linear schedule, gradient checkpointing on).
 *
 * <p>Keys that change nothing in one process are kept as warnings; keys peft4j cannot honour, and unknown keys (with a
 * did-you-mean over LLaMA-Factory's argument names), are problems naming {@code file:line}. Relative paths are
 * relative to the working folder, as for {@code llamafactory-cli}.
 */
public final class LlamaFactoryRun {

  /**
   * One peft4j setting of the translation.
   *
   * @param path the full key, e.g. {@code peft4j.lora.rank}
   * @param value a String, Boolean, Number or List
   * @param from where it came from, for {@code peft4j convert}: {@code lora_rank: 16 (line 8)}, or the default used
   */
  public record Setting(String path, Object value, String from) {}

  /**
   * @param config the settings under {@code peft4j}, each value's origin the file and line it came from
   * @param settings the same, in the order they were made, each saying where it came from
   * @param notes warnings: keys that change nothing here, values peft4j runs otherwise
   * @param overwrite {@code overwrite_output_dir: true}
   * @param resume {@code resume_from_checkpoint: true}
   */
  public record Translation(Config config, List<Setting> settings, List<SettingProblem> notes, boolean overwrite,
      boolean resume) {}

  /** Keys that change nothing in one process (or that peft4j does always): accepted with a warning each. */
  static final Map<String, String> NO_EFFECT = new LinkedHashMap<>();
  /** Keys peft4j refuses whatever their value, and why. */
  static final Map<String, String> REFUSED = new LinkedHashMap<>();

  static {
    String oneProcess = "changes nothing in one peft4j process";
    for (String key : List.of("ddp_timeout", "ddp_find_unused_parameters", "ddp_backend", "local_rank",
        "dataloader_num_workers", "dataloader_pin_memory", "dataloader_persistent_workers", "dataloader_prefetch_factor",
        "preprocessing_num_workers", "preprocessing_batch_size")) {
      NO_EFFECT.put(key, oneProcess);
    }
    NO_EFFECT.put("overwrite_cache", "peft4j keeps no cache of tokenized data: it tokenizes at every run");
    NO_EFFECT.put("trust_remote_code", "peft4j runs no code from a model folder: it loads the families it implements");
    NO_EFFECT.put("save_only_model", "peft4j's checkpoints hold what resuming needs; the trained model is saved either way");
    NO_EFFECT.put("report_to", "peft4j writes metrics.jsonl and loss.png in output_dir and reports to no service");
    NO_EFFECT.put("logging_dir", "peft4j logs to metrics.jsonl in output_dir");
    NO_EFFECT.put("run_name", "peft4j names no runs");
    NO_EFFECT.put("disable_tqdm", "peft4j draws its progress bar on a terminal only");
    NO_EFFECT.put("use_fast_tokenizer", "peft4j always uses the fast tokenizer of tokenizer.json");
    NO_EFFECT.put("flash_attn", "peft4j's attention is its own fused kernel (no scores of length squared)");
    NO_EFFECT.put("save_safetensors", "peft4j always saves safetensors");
    NO_EFFECT.put("low_cpu_mem_usage", "peft4j maps weights from their files as it loads them");
    NO_EFFECT.put("include_num_input_tokens_seen", "peft4j logs tokens per second in metrics.jsonl");
    REFUSED.put("deepspeed", "DeepSpeed is not supported: peft4j trains in one process on one device; remove deepspeed");
    REFUSED.put("fsdp", "FSDP is not supported: peft4j trains in one process on one device; remove fsdp");
    REFUSED.put("fsdp_config", "FSDP is not supported: peft4j trains in one process on one device; remove fsdp_config");
  }

  private static final Pattern HUB_ID = Pattern.compile("[A-Za-z0-9][\\w.-]*/[\\w.-]+");
  private static final Set<String> ADAMW = Set.of("adamw_torch", "adamw_torch_fused", "adamw_hf");
  private static final Set<String> ARGUMENT_NAMES = argumentNames();

  private final Path file;
  private final Path workingFolder;
  private final Map<String, YamlRunFile.Entry> entries;
  private final Set<String> read = new LinkedHashSet<>();
  private final List<Setting> settings = new ArrayList<>();
  private final List<SettingProblem> notes = new ArrayList<>();
  private final List<SettingProblem> problems = new ArrayList<>();
  private Config config = ConfigFactory.empty();
  /** The {@code peft4j.data.columns} and {@code .tags} settings of the first data set, and its name. */
  private Map<String, String> fieldNames;
  /** adapter_name_or_path, when it names one adapter. */
  private Path adapterFolder;
  private String fieldNamesOf;

  private LlamaFactoryRun(Path file, Path workingFolder, Map<String, YamlRunFile.Entry> entries) {
    this.file = file;
    this.workingFolder = workingFolder;
    this.entries = entries;
  }

  /** Whether {@code file} is a LLaMA-Factory run file (its name ends in {@code .yaml} or {@code .yml}). */
  public static boolean isYaml(Path file) {
    String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
    return name.endsWith(".yaml") || name.endsWith(".yml");
  }

  /**
   * Reads and translates {@code file}, with {@code key=value} overrides in LLaMA-Factory's names on top.
   *
   * @throws ConfigurationException listing every problem, each with its {@code file:line}
   */
  public static Translation translate(Path file, List<String> overrides, Path workingFolder) {
    if (!Files.isRegularFile(file)) {
      throw YamlRunFile.problem("(run file)", file.toString(), "the run file does not exist"
          + (Files.isDirectory(file) ? " (it is a folder)" : "") + ": check the path");
    }
    Map<String, YamlRunFile.Entry> entries = new LinkedHashMap<>(YamlRunFile.read(file));
    for (String override : overrides) {
      int equals = override.indexOf('=');
      String key = override.substring(0, equals).trim();
      String value = override.substring(equals + 1).trim();
      entries.put(key, new YamlRunFile.Entry(key, value.equals("null") ? null : value, "--set " + override, -1));
    }
    LlamaFactoryRun run = new LlamaFactoryRun(file, workingFolder, entries);
    return run.translate();
  }

  private Translation translate() {
    String stage = text("stage", "sft");
    if (!List.of("sft", "pt").contains(stage)) {
      problem("stage", "stage " + stage + " is not supported: peft4j trains sft (supervised) and pt (pre-training) "
          + "runs only");
    }
    if (has("do_train") && !flag("do_train", true)) {
      problem("do_train", "peft4j's train command trains: do_train: false (evaluation or prediction alone) is not "
          + "supported; use peft4j evaluate or peft4j generate");
    }
    for (String key : List.of("do_eval", "do_predict")) {
      if (flag(key, false)) {
        problem(key, key + ": true is not supported: peft4j evaluates on eval_dataset while it trains; use peft4j "
            + "evaluate or peft4j generate afterwards");
      }
    }
    model();
    String type = method();
    data(stage);
    output();
    training(type);
    leftOver();
    if (!problems.isEmpty()) {
      throw new ConfigurationException(problems);
    }
    return new Translation(config, List.copyOf(settings), List.copyOf(notes), flag("overwrite_output_dir", false),
        resumeFlag());
  }

  // --- model ---

  private void model() {
    if (!has("model_name_or_path") || value("model_name_or_path") == null) {
      problems.add(new SettingProblem("model_name_or_path", file.toString(), "is required: the local folder of a "
          + "Hugging Face model (config.json, *.safetensors, tokenizer.json)"));
    } else {
      String name = text("model_name_or_path", null);
      Path folder = path("model_name_or_path", name);
      if (folder != null && !Files.isDirectory(folder) && HUB_ID.matcher(name).matches()) {
        problem("model_name_or_path", "'" + name + "' is no folder here, and looks like a Hugging Face hub id: peft4j "
            + "reads local folders only, so download it first (huggingface-cli download " + name + " --local-dir models/"
            + name.substring(name.indexOf('/') + 1) + ") and set model_name_or_path to that folder; a local folder is "
            + "relative to the working folder, as for llamafactory-cli");
      } else if (folder != null) {
        set("peft4j.model.path", folder.toString(), "model_name_or_path");
      }
    }
    if (has("adapter_name_or_path") && value("adapter_name_or_path") != null) {
      List<String> adapters = list("adapter_name_or_path", List.of());
      if (adapters.size() > 1) {
        problem("adapter_name_or_path", "peft4j starts from one adapter: merge the others into the model first "
            + "(peft4j merge) and name the last one here");
      } else if (!adapters.isEmpty()) {
        Path adapter = path("adapter_name_or_path", adapters.get(0));
        if (adapter != null) {
          set("peft4j.model.adapter-path", adapter.toString(), "adapter_name_or_path");
          adapterFolder = adapter;
        }
      }
    }
    if (has("quantization_bit") && value("quantization_bit") != null) {
      int bits = integer("quantization_bit", 0);
      String method = text("quantization_method", "bnb").toLowerCase(Locale.ROOT);
      String kind = text("quantization_type", "nf4").toLowerCase(Locale.ROOT);
      if (bits != 4) {
        problem("quantization_bit", "quantization_bit: " + bits + " is not supported: peft4j quantizes the frozen base to "
            + "4-bit NF4 (quantization_bit: 4) only");
      } else if (!List.of("bnb", "bitsandbytes").contains(method)) {
        problem("quantization_method", "quantization_method: " + method + " is not supported: peft4j's 4-bit base is "
            + "NF4 as bitsandbytes makes it");
      } else if (!kind.equals("nf4")) {
        problem("quantization_type", "quantization_type: " + kind + " is not supported: peft4j's 4-bit base is NF4");
      } else {
        set("peft4j.model.quantization", "nf4", "quantization_bit");
        // true where the file is silent: LLaMA-Factory's default, which it passes on as bnb_4bit_use_double_quant
        set("peft4j.model.double-quantization", flag("double_quantization", true), "double_quantization");
      }
    } else {
      unused("quantization_bit is not set", "quantization_method", "quantization_type", "double_quantization");
    }
  }

  // --- method ---

  /** Sets methods and each method's block; returns the finetuning type. */
  private String method() {
    String type = text("finetuning_type", "lora");
    if (!List.of("lora", "freeze", "full").contains(type)) {
      problem("finetuning_type", "finetuning_type " + type + " is not supported: peft4j runs lora, freeze and full");
      return type;
    }
    boolean galore = flag("use_galore", false);
    boolean badam = flag("use_badam", false);
    if (type.equals("lora") && (galore || badam)) {
      problem(galore ? "use_galore" : "use_badam", "LLaMA-Factory cannot use LoRA with GaLore or BAdam together: set "
          + "finetuning_type: full (or freeze)");
    }
    if (galore && badam) {
      problem("use_badam", "GaLore and BAdam cannot be used together (as in LLaMA-Factory): keep one");
    }
    List<String> methods = new ArrayList<>(List.of(type));
    if (galore) {
      methods.add("galore");
    }
    if (badam) {
      methods.add("badam");
    }
    set("peft4j.methods", methods, "finetuning_type" + (galore ? ", use_galore" : "") + (badam ? ", use_badam" : ""));
    if (type.equals("lora")) {
      lora();
    } else {
      for (String key : List.of("loraplus_lr_ratio", "use_rslora", "use_dora", "pissa_init")) {
        if (has(key) && value(key) != null && !"false".equalsIgnoreCase(String.valueOf(value(key)))) {
          problem(key, key + " is only valid for LoRA training (finetuning_type: lora), as in LLaMA-Factory");
        }
      }
      unused("finetuning_type is " + type, "lora_rank", "lora_alpha", "lora_dropout", "lora_target",
          "loraplus_lr_embedding", "pissa_iter", "pissa_convert", "create_new_adapter", "additional_target");
    }
    if (type.equals("freeze")) {
      set("peft4j.freeze.trainable-layers", integer("freeze_trainable_layers", 2), "freeze_trainable_layers");
      set("peft4j.freeze.trainable-modules", list("freeze_trainable_modules", List.of("all")), "freeze_trainable_modules");
      set("peft4j.freeze.extra-modules", list("freeze_extra_modules", List.of()), "freeze_extra_modules");
    } else {
      unused("finetuning_type is " + type, "freeze_trainable_layers", "freeze_trainable_modules",
          "freeze_extra_modules");
    }
    if (galore) {
      set("peft4j.galore.target", list("galore_target", List.of("all")), "galore_target");
      set("peft4j.galore.rank", integer("galore_rank", 16), "galore_rank");
      set("peft4j.galore.update-interval", integer("galore_update_interval", 200), "galore_update_interval");
      set("peft4j.galore.scale", number("galore_scale", 2.0), "galore_scale");
      set("peft4j.galore.proj-type", text("galore_proj_type", "std"), "galore_proj_type");
      set("peft4j.galore.layerwise", flag("galore_layerwise", false), "galore_layerwise");
    } else {
      unused("use_galore is not true", "galore_target", "galore_rank", "galore_update_interval", "galore_scale",
          "galore_proj_type", "galore_layerwise");
    }
    if (badam) {
      set("peft4j.badam.mode", text("badam_mode", "layer"), "badam_mode");
      if (has("badam_start_block") && value("badam_start_block") != null) {
        set("peft4j.badam.start-block", integer("badam_start_block", 0), "badam_start_block");
      }
      set("peft4j.badam.switch-mode", text("badam_switch_mode", "ascending"), "badam_switch_mode");
      set("peft4j.badam.switch-interval", integer("badam_switch_interval", 50), "badam_switch_interval");
      set("peft4j.badam.update-ratio", number("badam_update_ratio", 0.05), "badam_update_ratio");
      set("peft4j.badam.mask-mode", text("badam_mask_mode", "adjacent"), "badam_mask_mode");
      set("peft4j.badam.verbose", integer("badam_verbose", 0), "badam_verbose");
    } else {
      unused("use_badam is not true", "badam_mode", "badam_start_block", "badam_switch_mode", "badam_switch_interval",
          "badam_update_ratio", "badam_mask_mode", "badam_verbose");
    }
    return type;
  }

  private void lora() {
    int rank = integer("lora_rank", 8);
    set("peft4j.lora.rank", rank, "lora_rank");
    if (has("lora_alpha") && value("lora_alpha") != null) {
      set("peft4j.lora.alpha", integer("lora_alpha", rank * 2), "lora_alpha");
    } else {
      set("peft4j.lora.alpha", rank * 2, "LLaMA-Factory's default of lora_alpha: lora_rank x 2");
    }
    set("peft4j.lora.dropout", number("lora_dropout", 0.0), "lora_dropout");
    List<String> target = list("lora_target", List.of("all"));
    if (target.equals(List.of("all"))) {
      set("peft4j.lora.target", "all-linear", has("lora_target") ? "lora_target: all (every linear layer but the "
          + "output head)" : "LLaMA-Factory's default of lora_target: all (every linear layer but the output head)");
    } else {
      set("peft4j.lora.target", target, "lora_target");
    }
    if (has("loraplus_lr_ratio") && value("loraplus_lr_ratio") != null) {
      set("peft4j.lora.loraplus-lr-ratio", number("loraplus_lr_ratio", 0), "loraplus_lr_ratio");
    }
    set("peft4j.lora.loraplus-lr-embedding", number("loraplus_lr_embedding", 1e-6), "loraplus_lr_embedding");
    set("peft4j.lora.use-rslora", flag("use_rslora", false), "use_rslora");
    set("peft4j.lora.use-dora", flag("use_dora", false), "use_dora");
    boolean pissa = flag("pissa_init", false);
    int iterations = integer("pissa_iter", 16);
    if (pissa) {
      set("peft4j.lora.init", iterations == -1 ? "pissa" : "pissa_niter_" + iterations,
          "pissa_init: true, pissa_iter: " + iterations);
      set("peft4j.lora.pissa-convert", flag("pissa_convert", false), "pissa_convert");
    } else {
      set("peft4j.lora.init", "default", "pissa_init: false");
      unused("pissa_init is not true", "pissa_iter", "pissa_convert");
    }
    if (flag("create_new_adapter", false)) {
      problem("create_new_adapter", "create_new_adapter is not supported: peft4j trains the adapter of "
          + "adapter_name_or_path further; to train a new one, merge that adapter first (peft4j merge)");
    }
    if (has("additional_target") && value("additional_target") != null) {
      set("peft4j.lora.modules-to-save", list("additional_target", List.of()), "additional_target");
    }
    adapterSettings();
  }

  // --- data ---

  private void data(String stage) {
    read.addAll(List.of("dataset", "eval_dataset")); // each problem with them is said below
    Path folder = has("dataset_dir") ? path("dataset_dir", text("dataset_dir", "data"))
        : workingFolder.resolve("data");
    if (!has("dataset") || value("dataset") == null) {
      problems.add(new SettingProblem("dataset", file.toString(), "is required: the names of the training data sets "
          + "in dataset_dir's dataset_info.json, separated by commas"));
    } else if (folder != null) {
      datasets("dataset", "peft4j.data.train", folder, stage);
    }
    if (has("eval_dataset") && value("eval_dataset") != null && folder != null) {
      datasets("eval_dataset", "peft4j.data.eval", folder, stage);
    }
    double valSize = number("val_size", 0);
    if (valSize > 1e-6) {
      if (has("eval_dataset") && value("eval_dataset") != null) {
        problem("val_size", "cannot be set with eval_dataset (as in LLaMA-Factory): keep one of them");
      } else {
        // LLaMA-Factory: a count above 1 (int(val_size)), a fraction up to 1
        set("peft4j.data.val-size", valSize > 1 ? Math.floor(valSize) : valSize, "val_size");
        note("val_size", "peft4j holds out as many examples as LLaMA-Factory, drawn with seed, but not the same ones "
            + "(LLaMA-Factory draws them with numpy's generator)");
      }
    }
    if (!text("mix_strategy", "concat").equals("concat")) {
      problem("mix_strategy", "peft4j concatenates the data sets (mix_strategy: concat) only");
    }
    boolean packing = has("packing") && value("packing") != null ? flag("packing", false) : stage.equals("pt");
    int cutoff = integer("cutoff_len", 2048);
    set("peft4j.data.packing", packing, has("packing") ? "packing" : "LLaMA-Factory's default of packing: true for pt, "
        + "false for sft");
    if (packing) {
      set("peft4j.data.cutoff-len", cutoff - 1, "cutoff_len - 1: LLaMA-Factory packs into cutoff_len - 1 tokens");
    } else {
      set("peft4j.data.cutoff-len", cutoff, has("cutoff_len") ? "cutoff_len" : "LLaMA-Factory's default of cutoff_len");
    }
    template();
    if (has("max_samples") && value("max_samples") != null) {
      set("peft4j.data.max-samples", integer("max_samples", -1), "max_samples");
    }
  }

  /** {@code template}: one of LLaMA-Factory's that peft4j implements; none is the model's own chat template. */
  private void template() {
    String name = text("template", null);
    if (name == null) {
      return; // LLaMA-Factory then parses the tokenizer's chat template; peft4j renders that template itself
    }
    List<String> implemented = Arrays.stream(CoreSettings.TemplateName.values())
        .filter(t -> t != CoreSettings.TemplateName.MODEL).map(NamedChatTemplate::displayName).toList();
    if (implemented.contains(name)) {
      set("peft4j.data.template", name, "template");
    } else {
      problem("template", "template " + name + " is not implemented: peft4j encodes LLaMA-Factory's "
          + String.join(", ", implemented) + "; without template: it renders the model's own chat template (the "
          + "chat_template of its tokenizer)" + Suggestions.closest(name, implemented)
              .map(t -> "; did you mean '" + t + "'?").orElse(""));
    }
  }

  private void datasets(String key, String path, Path folder, String stage) {
    DatasetInfo info;
    try {
      info = DatasetInfo.of(folder);
    } catch (IllegalArgumentException e) {
      problem(key, e.getMessage());
      return;
    }
    List<String> files = new ArrayList<>();
    Set<String> formats = new TreeSet<>();
    for (String name : list(key, List.of())) {
      try {
        DatasetInfo.Dataset dataset = info.dataset(name);
        files.add(dataset.file().toString());
        formats.add(dataset.formatting());
        fieldNames(key, dataset, stage);
      } catch (IllegalArgumentException e) {
        problem(key, e.getMessage());
      }
    }
    if (formats.size() > 1) {
      problem(key, "the data sets mix formattings (" + String.join(", ", formats) + "): peft4j reads one format a run; "
          + "train on data sets of one formatting");
      return;
    }
    if (files.isEmpty()) {
      return;
    }
    set(path, files, key);
    String format = stage.equals("pt") ? "text" : formats.iterator().next();
    if (path.endsWith("train")) {
      set("peft4j.data.format", format, stage.equals("pt") ? "stage: pt (every token learned)" : "formatting in "
          + "dataset_info.json");
    }
  }

  /**
   * Sets {@code peft4j.data.columns} and {@code .tags} to the field names LLaMA-Factory reads in {@code dataset}
   * (its {@code DatasetAttr}'s defaults where the entry names none: no system or history column; pt learns the prompt
   * column's text), or refuses a data set that names them otherwise than the first: peft4j reads one set a run.
   */
  private void fieldNames(String key, DatasetInfo.Dataset dataset, String stage) {
    Map<String, String> columns = dataset.columns();
    Map<String, String> names = new LinkedHashMap<>();
    if (stage.equals("pt")) {
      names.put("columns.text", columns.getOrDefault("prompt", "instruction"));
    } else if (dataset.formatting().equals("alpaca")) {
      names.put("columns.prompt", columns.getOrDefault("prompt", "instruction"));
      names.put("columns.query", columns.getOrDefault("query", "input"));
      names.put("columns.response", columns.getOrDefault("response", "output"));
      names.put("columns.system", columns.get("system"));
      names.put("columns.history", columns.get("history"));
    } else {
      names.put("columns.messages", columns.getOrDefault("messages", "conversations"));
      names.put("columns.system", columns.get("system"));
      CoreSettings.Tags tags = CoreSettings.Tags.DEFAULT;
      names.put("tags.role", dataset.tags().getOrDefault("role", tags.role()));
      names.put("tags.content", dataset.tags().getOrDefault("content", tags.content()));
      names.put("tags.user", dataset.tags().getOrDefault("user", tags.user()));
      names.put("tags.assistant", dataset.tags().getOrDefault("assistant", tags.assistant()));
      names.put("tags.system", dataset.tags().getOrDefault("system", tags.system()));
    }
    if (fieldNames == null) {
      fieldNames = names;
      fieldNamesOf = dataset.name();
      Config defaults = ConfigFactory.defaultReference().getConfig("peft4j.data");
      names.forEach((name, value) -> {
        if (value == null ? defaults.hasPath(name) : !defaults.hasPath(name) || !defaults.getString(name).equals(value)) {
          set("peft4j.data." + name, value, key);
          String why = value == null ? "dataset_info.json names no " + name.substring("columns.".length())
              + " column for " + dataset.name() + ", so LLaMA-Factory reads none" : name + " of " + dataset.name()
              + " in dataset_info.json";
          settings.set(settings.size() - 1, new Setting("peft4j.data." + name, value, why));
        }
      });
    } else if (!fieldNames.keySet().equals(names.keySet())) {
      return; // another formatting: datasets() says so
    } else if (!fieldNames.equals(names)) {
      problem(key, "data sets " + fieldNamesOf + " and " + dataset.name() + " name their fields differently in "
          + "dataset_info.json (" + fieldNames + " against " + names + "): peft4j reads one set of field names a run; "
          + "write the files with the same field names");
    }
  }

  /**
   * LLaMA-Factory trains the adapter of adapter_name_or_path further as its adapter_config.json describes it (PEFT's
   * {@code from_pretrained}), whatever lora_rank and the others say: its rank, alpha, dropout, rsLoRA, DoRA, targets
   * and modules to save replace theirs, with a warning for each that the YAML set otherwise. A folder without a readable config is
   * left to the run, which says what is missing.
   */
  private void adapterSettings() {
    if (adapterFolder == null) {
      return;
    }
    Path file = (adapterFolder.isAbsolute() ? adapterFolder : workingFolder.resolve(adapterFolder))
        .resolve("adapter_config.json");
    com.google.gson.JsonObject saved;
    try {
      saved = com.google.gson.JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    } catch (IOException | RuntimeException e) {
      return;
    }
    String from = file + " (adapter_name_or_path's config, which LLaMA-Factory trains by)";
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put("r", "lora_rank");
    keys.put("lora_alpha", "lora_alpha");
    keys.put("lora_dropout", "lora_dropout");
    keys.put("use_rslora", "use_rslora");
    keys.put("use_dora", "use_dora");
    keys.put("target_modules", "lora_target");
    keys.put("modules_to_save", "additional_target");
    keys.forEach((peftKey, yamlKey) -> {
      com.google.gson.JsonElement value = saved.get(peftKey);
      if ((value == null || value.isJsonNull()) && peftKey.equals("modules_to_save")) {
        value = new com.google.gson.JsonArray(); // PEFT writes null for none
      }
      if (value == null || value.isJsonNull()) {
        return;
      }
      String path = "peft4j.lora." + switch (peftKey) {
        case "r" -> "rank";
        case "lora_alpha" -> "alpha";
        case "lora_dropout" -> "dropout";
        case "use_rslora" -> "use-rslora";
        case "use_dora" -> "use-dora";
        case "modules_to_save" -> "modules-to-save";
        default -> "target";
      };
      Object adapterValue = value.isJsonArray() ? new com.google.gson.Gson().fromJson(value, List.class)
          : value.getAsJsonPrimitive().isBoolean() ? (Object) value.getAsBoolean()
          : value.getAsJsonPrimitive().isNumber() ? (Object) value.getAsDouble() : value.getAsString();
      Object ours = config.hasPath(path) ? config.getValue(path).unwrapped() : null;
      boolean same = adapterValue instanceof Number a && ours instanceof Number b ? a.doubleValue() == b.doubleValue()
          : String.valueOf(adapterValue).equals(String.valueOf(ours));
      if (same || (ours == null && adapterValue instanceof List<?> none && none.isEmpty())) {
        return;
      }
      if (has(yamlKey)) {
        note(yamlKey, yamlKey + ": " + value(yamlKey) + " is not used: adapter_name_or_path's adapter_config.json says "
            + peftKey + " " + value + ", and LLaMA-Factory trains the adapter as its config says");
      }
      set(path, adapterValue instanceof Double d && d == Math.rint(d) && !peftKey.equals("lora_dropout")
          ? (Object) d.intValue() : adapterValue, from);
    });
  }

  // --- output ---

  private void output() {
    Path out = path("output_dir", text("output_dir", "trainer_output"));
    if (out != null) {
      set("peft4j.output.dir", out.toString(), has("output_dir") ? "output_dir" : "transformers' default of output_dir");
    }
    read.add("overwrite_output_dir");
    set("peft4j.training.logging-steps", integer("logging_steps", 500), "logging_steps");
    String saveStrategy = text("save_strategy", "steps");
    if (saveStrategy.equals("no")) {
      set("peft4j.training.save-steps", 0, "save_strategy: no (peft4j still writes the final checkpoint)");
    } else if (saveStrategy.equals("steps")) {
      set("peft4j.training.save-steps", integer("save_steps", 500), "save_steps");
    } else {
      problem("save_strategy", "save_strategy: " + saveStrategy + " is not supported: peft4j saves every save_steps "
          + "steps (save_strategy: steps) or at the end only (no)");
    }
    if (!flag("plot_loss", true)) {
      note("plot_loss", "peft4j always draws the loss curve (loss.png in output_dir)");
    }
  }

  // --- training ---

  private void training(String type) {
    set("peft4j.training.batch-size", integer("per_device_train_batch_size", 8), "per_device_train_batch_size");
    set("peft4j.training.gradient-accumulation-steps", integer("gradient_accumulation_steps", 1),
        "gradient_accumulation_steps");
    set("peft4j.training.learning-rate", number("learning_rate", 5e-5), "learning_rate");
    double epochs = number("num_train_epochs", 3.0);
    if (epochs != Math.rint(epochs) || epochs < 1) {
      problem("num_train_epochs", "num_train_epochs " + epochs + " is not a whole number of epochs, which peft4j "
          + "needs: round it, or stop with max_steps");
    } else {
      set("peft4j.training.epochs", (int) epochs, "num_train_epochs");
    }
    set("peft4j.training.max-steps", integer("max_steps", -1), "max_steps");
    scheduler();
    set("peft4j.training.weight-decay", number("weight_decay", 0.0), "weight_decay");
    set("peft4j.training.max-grad-norm", number("max_grad_norm", 1.0), "max_grad_norm");
    set("peft4j.training.seed", integer("seed", 42), "seed");
    set("peft4j.training.adam-beta1", number("adam_beta1", 0.9), "adam_beta1");
    set("peft4j.training.adam-beta2", number("adam_beta2", 0.999), "adam_beta2");
    set("peft4j.training.adam-epsilon", number("adam_epsilon", 1e-8), "adam_epsilon");
    String optimizer = text("optim", "adamw_torch");
    if (!ADAMW.contains(optimizer)) {
      problem("optim", "optim: " + optimizer + " is not supported: peft4j's optimizer is torch.optim.AdamW's update "
          + "(adamw_torch)");
    }
    precision(type);
    boolean disable = flag("disable_gradient_checkpointing", false);
    set("peft4j.training.gradient-checkpointing", !disable, has("disable_gradient_checkpointing")
        ? "disable_gradient_checkpointing" : "LLaMA-Factory's default: gradient checkpointing on (the same gradients)");
    if (has("gradient_checkpointing") && !flag("gradient_checkpointing", true) && !disable) {
      note("gradient_checkpointing", "LLaMA-Factory checkpoints gradients unless disable_gradient_checkpointing: true, "
          + "whatever gradient_checkpointing says; peft4j does the same");
    }
    evaluation();
  }

  private void scheduler() {
    String kind = text("lr_scheduler_type", "linear");
    int warmupSteps;
    if (has("warmup_steps") && value("warmup_steps") != null) {
      double steps = number("warmup_steps", 0);
      if (steps != Math.rint(steps) || steps < 0) {
        problem("warmup_steps", "warmup_steps " + steps + " is not a whole number of steps: for a fraction of the run "
            + "use warmup_ratio");
      }
      warmupSteps = (int) steps;
    } else {
      warmupSteps = 0;
    }
    double ratio = number("warmup_ratio", 0.0);
    switch (kind) {
      case "linear", "cosine" -> set("peft4j.training.lr-scheduler", kind, "lr_scheduler_type");
      case "constant_with_warmup" -> set("peft4j.training.lr-scheduler", "constant",
          "lr_scheduler_type: constant_with_warmup");
      case "constant" -> {
        set("peft4j.training.lr-scheduler", "constant", "lr_scheduler_type");
        if (warmupSteps > 0 || ratio > 0) {
          note("lr_scheduler_type", "transformers' constant schedule has no warmup, so warmup_steps and warmup_ratio "
              + "are dropped (constant_with_warmup keeps them)");
        }
        warmupSteps = 0;
        ratio = 0;
      }
      default -> problem("lr_scheduler_type", "lr_scheduler_type " + kind + " is not supported: peft4j runs linear, "
          + "cosine, constant and constant_with_warmup");
    }
    set("peft4j.training.warmup-steps", warmupSteps, "warmup_steps");
    set("peft4j.training.warmup-ratio", ratio, "warmup_ratio");
  }

  private void precision(String type) {
    boolean bf16 = flag("bf16", false);
    boolean pure = flag("pure_bf16", false);
    if (flag("fp16", false)) {
      problem("fp16", "fp16 is not supported: peft4j computes in fp32 or bf16; write bf16: true instead");
    }
    if (pure && !flag("use_badam", false)) {
      note("pure_bf16", "peft4j's bf16 keeps fp32 master copies of the trainable weights (transformers' bf16: true), "
          + "where pure_bf16 trains them in bf16: more memory for them, no update lost to rounding");
    }
    set("peft4j.training.precision", bf16 || pure ? "bf16" : "fp32", pure ? "pure_bf16" : "bf16");
  }

  private void evaluation() {
    String strategy = has("eval_strategy") ? text("eval_strategy", "no") : text("evaluation_strategy", "no");
    if (has("evaluation_strategy")) {
      note("evaluation_strategy", "evaluation_strategy is the old name of eval_strategy (transformers 4.46 renamed it)");
    }
    boolean evalData = has("eval_dataset") && value("eval_dataset") != null || number("val_size", 0) > 1e-6;
    String strategyKey = has("eval_strategy") ? "eval_strategy" : "evaluation_strategy";
    switch (strategy) {
      case "no" -> {
        if (evalData) {
          note("eval_dataset", "eval_strategy is no: LLaMA-Factory does not evaluate on eval_dataset while it trains, "
              + "so peft4j does not either");
          config = config.withoutPath("peft4j.data.eval");
          settings.removeIf(s -> s.path().equals("peft4j.data.eval"));
        }
        unused("eval_strategy is no", "eval_steps");
        set("peft4j.training.eval-steps", 0, strategyKey);
      }
      case "steps" -> {
        if (!evalData) {
          problem(strategyKey, "eval_strategy: steps needs eval data: name it in eval_dataset");
        }
        int every = has("eval_steps") && value("eval_steps") != null ? integer("eval_steps", 0)
            : integer("logging_steps", 500);
        set("peft4j.training.eval-steps", every, has("eval_steps") ? "eval_steps" : "logging_steps (transformers' "
            + "default of eval_steps)");
      }
      default -> problem(strategyKey, "eval_strategy " + strategy + " is not supported: peft4j evaluates every "
          + "eval_steps steps (steps) or not during training (no)");
    }
    if (has("per_device_eval_batch_size") && value("per_device_eval_batch_size") != null) {
      int evalBatch = integer("per_device_eval_batch_size", 8);
      if (evalBatch != integer("per_device_train_batch_size", 8)) {
        note("per_device_eval_batch_size", "peft4j evaluates in batches of per_device_train_batch_size: the same loss, "
            + "another batch size");
      }
    }
  }

  private boolean resumeFlag() {
    if (!has("resume_from_checkpoint") || value("resume_from_checkpoint") == null) {
      return false;
    }
    String text = String.valueOf(value("resume_from_checkpoint"));
    read.add("resume_from_checkpoint");
    return text.equalsIgnoreCase("true");
  }

  /** Every key nothing above read: no effect (a warning), refused, not supported, or unknown. */
  private void leftOver() {
    if (has("resume_from_checkpoint") && value("resume_from_checkpoint") != null) {
      String text = String.valueOf(value("resume_from_checkpoint"));
      if (!text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false")) {
        problem("resume_from_checkpoint", "peft4j resumes from its own checkpoints in output_dir: write "
            + "resume_from_checkpoint: true (or train with --resume)");
      }
      read.add("resume_from_checkpoint");
    }
    for (YamlRunFile.Entry entry : entries.values()) {
      String key = entry.key();
      if (read.contains(key)) {
        continue;
      }
      if (NO_EFFECT.containsKey(key)) {
        if (key.equals("report_to") && !isNone(entry.value())) {
          problem(key, "report_to: " + entry.value() + " is not supported: " + NO_EFFECT.get(key)
              + "; write report_to: none");
        } else {
          note(key, NO_EFFECT.get(key));
        }
      } else if (REFUSED.containsKey(key)) {
        if (entry.value() != null) {
          problem(key, REFUSED.get(key));
        }
      } else if (ARGUMENT_NAMES.contains(key)) {
        if (entry.value() != null && !"false".equalsIgnoreCase(String.valueOf(entry.value()))) {
          problem(key, key + " is a LLaMA-Factory setting peft4j does not support: remove it (docs/configuration.md "
              + "lists the keys peft4j reads)");
        }
      } else {
        problem(key, "unknown key '" + key + "'" + Suggestions.closest(key, ARGUMENT_NAMES)
            .map(name -> ": did you mean '" + name + "'?").orElse(": it is none of LLaMA-Factory's arguments"));
      }
    }
  }

  private static boolean isNone(Object value) {
    return value == null || (value instanceof List<?> list && (list.isEmpty() || list.equals(List.of("none"))))
        || String.valueOf(value).equalsIgnoreCase("none");
  }

  /** Keys that change nothing because of {@code why}: a warning each, when the file has them. */
  private void unused(String why, String... keys) {
    for (String key : keys) {
      if (has(key) && !read.contains(key)) {
        read.add(key);
        note(key, "has no effect: " + why);
      }
    }
  }

  // --- reading values ---

  private boolean has(String key) {
    return entries.containsKey(key);
  }

  private Object value(String key) {
    YamlRunFile.Entry entry = entries.get(key);
    return entry == null ? null : entry.value();
  }

  private String text(String key, String otherwise) {
    read.add(key);
    Object value = value(key);
    if (value == null) {
      return otherwise;
    }
    if (value instanceof List) {
      problem(key, "must be one value, not a list");
      return otherwise;
    }
    return ((String) value).trim();
  }

  private boolean flag(String key, boolean otherwise) {
    String text = text(key, null);
    if (text == null) {
      return otherwise;
    }
    if (text.equalsIgnoreCase("true")) {
      return true;
    }
    if (text.equalsIgnoreCase("false")) {
      return false;
    }
    problem(key, "must be true or false, got '" + text + "'");
    return otherwise;
  }

  private int integer(String key, int otherwise) {
    String text = text(key, null);
    if (text == null) {
      return otherwise;
    }
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      problem(key, "must be a whole number, got '" + text + "'");
      return otherwise;
    }
  }

  private double number(String key, double otherwise) {
    String text = text(key, null);
    if (text == null) {
      return otherwise;
    }
    try {
      double value = Double.parseDouble(text);
      if (Double.isFinite(value)) {
        return value;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    problem(key, "must be a number, got '" + text + "'");
    return otherwise;
  }

  /** A comma-separated text or a YAML list, as LLaMA-Factory's {@code split_arg}. */
  private List<String> list(String key, List<String> otherwise) {
    read.add(key);
    Object value = value(key);
    if (value == null) {
      return otherwise;
    }
    List<String> items = value instanceof List<?> list ? list.stream().map(String::valueOf).toList()
        : Arrays.asList(((String) value).split(","));
    return items.stream().map(String::trim).filter(item -> !item.isEmpty()).toList();
  }

  /** A path relative to the working folder, as LLaMA-Factory reads it; null (and a problem) when it is no path. */
  private Path path(String key, String text) {
    try {
      return workingFolder.resolve(Path.of(text)).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      problem(key, "is not a valid path on this system: " + e.getReason());
      return null;
    }
  }

  // --- results ---

  private void set(String path, Object value, String from) {
    YamlRunFile.Entry entry = entries.get(from);
    ConfigOrigin origin;
    String described;
    if (entry != null && entry.line() > 0) {
      origin = ConfigOriginFactory.newFile(file.toString()).withLineNumber(entry.line());
      described = from + ": " + entry.value() + " (line " + entry.line() + ")";
    } else if (entry != null) {
      origin = ConfigOriginFactory.newSimple(entry.origin());
      described = entry.origin();
    } else {
      described = ARGUMENT_NAMES.contains(from) ? "the default of " + from : from;
      origin = ConfigOriginFactory.newSimple(file + " (" + described + ")");
    }
    config = config.withValue(path, ConfigValueFactory.fromAnyRef(value).withOrigin(origin));
    settings.removeIf(s -> s.path().equals(path));
    settings.add(new Setting(path, value, described));
  }

  private void problem(String key, String message) {
    YamlRunFile.Entry entry = entries.get(key);
    problems.add(new SettingProblem(key, entry == null ? file.toString() : entry.origin(), message));
  }

  private void note(String key, String message) {
    YamlRunFile.Entry entry = entries.get(key);
    notes.add(new SettingProblem(key, entry == null ? file.toString() : entry.origin(), message));
  }

  private static Set<String> argumentNames() {
    try (InputStream in = LlamaFactoryRun.class.getResourceAsStream("argument-names.txt")) {
      if (in == null) {
        throw new IllegalStateException("argument-names.txt is missing from peft4j's jar");
      }
      return Set.copyOf(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::trim)
          .filter(line -> !line.isEmpty() && !line.startsWith("#")).toList());
    } catch (IOException e) {
      throw new IllegalStateException("cannot read argument-names.txt: " + e, e);
    }
  }
}
