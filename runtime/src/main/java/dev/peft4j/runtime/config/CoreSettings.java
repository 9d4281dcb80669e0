package dev.peft4j.runtime.config;

import com.typesafe.config.ConfigValue;
import dev.peft4j.api.config.SettingsReader;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The runtime's own settings ({@code peft4j.model}, {@code .data}, {@code .training}, {@code .output}). */
public record CoreSettings(
    List<String> methods, List<Path> pluginDirs, Model model, Data data, Training training, Path outputDir) {

  public enum Quantization { NONE, NF4 }

  public enum DataFormat { ALPACA, SHAREGPT, TEXT }

  /** The chat template conversations are encoded with: the model's own, or one of LLaMA-Factory's by name. */
  public enum TemplateName { MODEL, LLAMA3, QWEN, QWEN3_NOTHINK, MISTRAL, GEMMA, PHI, ALPACA, DEFAULT }

  public enum Scheduler { COSINE, LINEAR, CONSTANT }

  /**
   * The field names of a data file ({@code data.columns}, LLaMA-Factory's {@code columns} of {@code dataset_info.json}):
   * alpaca reads {@code prompt}, {@code query}, {@code response}, {@code system} and {@code history}; sharegpt reads
   * {@code messages} and {@code system}, its turns named by {@code tags}; text reads {@code text}. No {@code system}
   * or {@code history} field is read where they are empty ({@code null} in {@code data.columns}).
   */
  public record Columns(String prompt, String query, String response, Optional<String> system,
      Optional<String> history, String messages, String text, Tags tags) {
    /** The formats' own names (those of {@code reference.conf}). */
    public static final Columns DEFAULT = new Columns("instruction", "input", "output", Optional.of("system"),
        Optional.of("history"), "conversations", "text", Tags.DEFAULT);

    /**
     * Whether sharegpt turns are read as by default: ShareGPT's {@code from}/{@code value} or, when a line has no
     * {@code conversations} but {@code messages}, the OpenAI style's {@code role}/{@code content}.
     */
    public boolean sharegptAsDefault() {
      return messages.equals(DEFAULT.messages) && tags.equals(Tags.DEFAULT);
    }
  }

  /** The keys and role names of a sharegpt turn ({@code data.tags}, LLaMA-Factory's {@code tags}). */
  public record Tags(String role, String content, String user, String assistant, String system) {
    public static final Tags DEFAULT = new Tags("from", "value", "human", "gpt", "system");
  }

  /** {@code training.precision}: fp32, bf16, or auto (bf16 where the device computes it natively, else fp32). */
  public enum Precision { FP32, BF16, AUTO }

  /**
   * @param doubleQuantization the 4-bit base's block scales stored in 8 bits (QLoRA's double quantization); only
   *     with {@code quantization = nf4}
   */
  public record Model(Optional<Path> path, Quantization quantization, boolean doubleQuantization,
      Optional<Path> adapterPath) {}

  /**
   * @param train training data: JSON-lines or JSON-array files, read one after the other (none when unset)
   * @param eval held-out data, as {@code train}
   * @param format how each example is read (see {@code dev.peft4j.runtime.data.DataReader})
   * @param cutoffLen the longest example in tokens; longer ones keep their start
   * @param packing concatenate examples into sequences of up to {@code cutoffLen} tokens
   * @param skipBadLines count and skip bad lines instead of stopping at the first
   * @param maxSamples the first this many examples of each file; -1 for all
   * @param template the chat template of conversations
   * @param valSize examples of {@code train} held out for evaluation: a fraction below 1, else a count; 0 for none
   * @param columns the field names of the files
   */
  public record Data(List<Path> train, List<Path> eval, DataFormat format, int cutoffLen, boolean packing,
      boolean skipBadLines, int maxSamples, TemplateName template, double valSize, Columns columns) {}

  public enum OnNonFinite { STOP, SKIP }

  /** @param warmupRatio warmup as a fraction of the run's steps, rounded up, when {@code warmupSteps} is 0 */
  public record Training(
      double learningRate, int epochs, int batchSize, int gradientAccumulationSteps, Scheduler lrScheduler,
      int warmupSteps, double weightDecay, double maxGradNorm, long seed, Precision precision,
      boolean gradientCheckpointing, int devices,
      int maxSteps, int loggingSteps, int evalSteps, int saveSteps, OnNonFinite onNonFinite,
      double adamBeta1, double adamBeta2, double adamEpsilon, int threads, double warmupRatio) {

    /** Settings without a warmup ratio. */
    public Training(
        double learningRate, int epochs, int batchSize, int gradientAccumulationSteps, Scheduler lrScheduler,
        int warmupSteps, double weightDecay, double maxGradNorm, long seed, Precision precision,
        boolean gradientCheckpointing, int devices,
        int maxSteps, int loggingSteps, int evalSteps, int saveSteps, OnNonFinite onNonFinite,
        double adamBeta1, double adamBeta2, double adamEpsilon, int threads) {
      this(learningRate, epochs, batchSize, gradientAccumulationSteps, lrScheduler, warmupSteps, weightDecay,
          maxGradNorm, seed, precision, gradientCheckpointing, devices, maxSteps, loggingSteps, evalSteps, saveSteps,
          onNonFinite, adamBeta1, adamBeta2, adamEpsilon, threads, 0.0);
    }

    /** The warmup steps of a run of {@code totalSteps} optimizer steps, as transformers' {@code get_warmup_steps}. */
    public int warmupStepsOf(long totalSteps) {
      return warmupSteps > 0 ? warmupSteps : (int) Math.ceil(totalSteps * warmupRatio);
    }
  }

  /** Reads {@code peft4j.*} but the methods' blocks; paths are resolved against the file that set them. */
  public static CoreSettings read(SettingsReader root) {
    SettingsReader model = root.block("peft4j.model");
    SettingsReader data = root.block("peft4j.data");
    SettingsReader training = root.block("peft4j.training");
    SettingsReader output = root.block("peft4j.output");
    double learningRate = training.positiveNumber("learning-rate");
    double weightDecay = training.numberAtLeast("weight-decay", 0);
    double maxGradNorm = training.numberAtLeast("max-grad-norm", 0);
    CoreSettings settings = new CoreSettings(
        root.strings("methods"),
        root.strings("plugin-dirs").stream().map(dir -> resolve(root, "plugin-dirs", dir)).toList(),
        model(model),
        new Data(paths(data, "train"), paths(data, "eval"), data.choice("format", DataFormat.class),
            data.integerAtLeast("cutoff-len", 1), data.bool("packing"), data.bool("skip-bad-lines"),
            data.integerAtLeast("max-samples", -1), data.choice("template", TemplateName.class),
            data.numberAtLeast("val-size", 0), columns(data)),
        new Training(learningRate, training.integerAtLeast("epochs", 1), training.integerAtLeast("batch-size", 1),
            training.integerAtLeast("gradient-accumulation-steps", 1), training.choice("lr-scheduler", Scheduler.class),
            training.integerAtLeast("warmup-steps", 0), weightDecay, maxGradNorm, training.integer("seed"),
            training.choice("precision", Precision.class), training.bool("gradient-checkpointing"),
            training.integerAtLeast("devices", 1),
            training.integerAtLeast("max-steps", -1), training.integerAtLeast("logging-steps", 1),
            training.integerAtLeast("eval-steps", 0), training.integerAtLeast("save-steps", 0),
            training.choice("on-nonfinite", OnNonFinite.class), training.numberInRange("adam-beta1", 0, 0.999999),
            training.numberInRange("adam-beta2", 0, 0.999999999), training.positiveNumber("adam-epsilon"),
            training.integerAtLeast("threads", 0), training.numberInRange("warmup-ratio", 0, 1)),
        resolve(output, "dir", output.string("dir")));
    return settings;
  }

  private static Model model(SettingsReader model) {
    Quantization quantization = model.choice("quantization", Quantization.class);
    boolean doubleQuantization = model.bool("double-quantization");
    if (doubleQuantization && quantization != Quantization.NF4 && !model.hasProblem("quantization")) {
      model.problem("double-quantization", "is true, but the base is not quantized (model.quantization = "
          + quantization.name().toLowerCase(Locale.ROOT) + "): double quantization stores the block scales of a "
          + "4-bit base in 8 bits; set model.quantization = nf4, or remove model.double-quantization");
    }
    return new Model(optionalPath(model, "path"), quantization, doubleQuantization, optionalPath(model, "adapter-path"));
  }

  private static Columns columns(SettingsReader data) {
    Tags tags = new Tags(name(data, "tags.role"), name(data, "tags.content"), name(data, "tags.user"),
        name(data, "tags.assistant"), name(data, "tags.system"));
    if (new java.util.HashSet<>(List.of(tags.user(), tags.assistant(), tags.system())).size() < 3) {
      data.problem("tags", "names two roles alike (user = \"" + tags.user() + "\", assistant = \"" + tags.assistant()
          + "\", system = \"" + tags.system() + "\"): give each role its own name, as the file writes it");
    }
    if (tags.role().equals(tags.content()) && !tags.role().isEmpty()) {
      data.problem("tags.content", "is the same key as tags.role (\"" + tags.role() + "\"): a turn keeps its role and "
          + "its text under two keys");
    }
    return new Columns(name(data, "columns.prompt"), name(data, "columns.query"), name(data, "columns.response"),
        data.optionalString("columns.system"), data.optionalString("columns.history"), name(data, "columns.messages"),
        name(data, "columns.text"), tags);
  }

  /** A field name: a string that is not empty. */
  private static String name(SettingsReader data, String key) {
    String name = data.string(key);
    if (name.isEmpty() && !data.hasProblem(key)) {
      data.problem(key, "is empty: give the name of the field in the data file");
    }
    return name;
  }

  /** A path or a list of paths; none when unset. */
  private static List<Path> paths(SettingsReader reader, String key) {
    return reader.strings(key).stream().map(text -> resolve(reader, key, text)).toList();
  }

  private static Optional<Path> optionalPath(SettingsReader reader, String key) {
    return reader.optionalString(key).map(text -> resolve(reader, key, text));
  }

  /**
   * A relative path set in a file is relative to that file's folder; one set on the command line, to the working
   * folder. Text that is no path on this system (a NUL, a lone surrogate) is a problem of {@code key}.
   */
  public static Path resolve(SettingsReader reader, String key, String text) {
    Path path;
    try {
      path = Path.of(text);
    } catch (InvalidPathException e) {
      reader.problem(key, "is not a valid path on this system (" + e.getReason() + " at index " + e.getIndex()
          + " of \"" + printable(text) + "\"): write the path without control characters or broken Unicode");
      return Path.of("");
    }
    if (path.isAbsolute()) {
      return path;
    }
    ConfigValue value = reader.raw(key);
    String file = value == null ? null : value.origin().filename();
    if (file == null) {
      return path;
    }
    Path parent = Path.of(file).toAbsolutePath().getParent();
    return parent == null ? path : parent.resolve(path).normalize();
  }

  /** The text with control characters and lone surrogates shown as {@code \\uXXXX}, so that a message can show it. */
  static String printable(String text) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean pair = Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
      if (pair) {
        out.append(c).append(text.charAt(++i));
      } else if (Character.isISOControl(c) || Character.isSurrogate(c)) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
