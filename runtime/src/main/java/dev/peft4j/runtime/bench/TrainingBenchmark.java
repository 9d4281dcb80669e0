package dev.peft4j.runtime.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.AdapterMethod;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.data.Batch;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelConfig;
import dev.peft4j.runtime.model.ModelFamilies;
import dev.peft4j.runtime.model.ModelSizes;
import dev.peft4j.runtime.model.ModuleModelView;
import dev.peft4j.runtime.model.WeightSource;
import dev.peft4j.runtime.nn.Parameter;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.plugin.Discovery;
import dev.peft4j.runtime.plugin.PluginDiscovery;
import dev.peft4j.runtime.setup.RuntimeMethodContext;
import dev.peft4j.runtime.train.CausalLmLoss;
import dev.peft4j.runtime.train.Trainer;
import dev.peft4j.runtime.train.TrainingData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * Measures training on a named model size, one configuration per JVM (so that peak RSS belongs to it):
 * median step time, tokens per second, peak RSS, and — in the same process — the throughput of a
 * plain matrix product of the model's sizes. Run by {@code bench/run}; prints one JSON line.
 *
 * <pre>java … TrainingBenchmark MODEL METHOD BATCH LENGTH STEPS [precision=fp32|bf16] [checkpointing=true] [RSS_AT_STEPS…]
 * java … TrainingBenchmark --config-of SIZE</pre>
 *
 * MODEL is a named size ({@code small}: vocabulary 256) or a {@code config.json} (random weights, its vocabulary).
 * METHOD is {@code full}, {@code freeze} (the last 2 layers), a LoRA configuration of {@link #LORA}, a GaLore
 * one of {@link #GALORE}, or {@code badam} ({@link #BADAM}). The resident set size is recorded after
 * each of RSS_AT_STEPS steps and after the last one (memory staying flat over a long run). {@code --config-of}
 * prints a named size's config.json (for a peer to build the same model).
 */
public final class TrainingBenchmark {

  private TrainingBenchmark() {}

  public static void main(String[] args) throws IOException {
    if (args[0].equals("--config-of")) {
      System.out.println(namedConfig(args[1]).toJson("float32"));
      return;
    }
    Path configFile = Path.of(args[0]);
    ModelConfig config = Files.isRegularFile(configFile) ? ModelFamilies.BUILT_IN.readFile(configFile) : namedConfig(args[0]);
    String modelName = Files.isRegularFile(configFile)
        ? configFile.toAbsolutePath().getParent().getFileName().toString() : args[0];
    String method = args[1];
    int batch = Integer.parseInt(args[2]);
    int length = Integer.parseInt(args[3]);
    int steps = Integer.parseInt(args[4]);
    Precision precision = Precision.FP32;
    boolean checkpointing = false;
    List<Long> rssAt = new ArrayList<>();
    for (String option : Arrays.asList(args).subList(5, args.length)) {
      if (option.startsWith("precision=")) {
        precision = Precision.valueOf(option.substring("precision=".length()).toUpperCase(Locale.ROOT));
      } else if (option.startsWith("checkpointing=")) {
        checkpointing = Boolean.parseBoolean(option.substring("checkpointing=".length()));
      } else {
        rssAt.add(Long.parseLong(option));
      }
    }
    int vocab = config.vocabSize();
    dev.peft4j.runtime.nn.NativeMemory.keepFreedMemory();
    Engine engine = Engine.getEngine("PyTorch");
    try (NDManager manager = engine.newBaseManager()) {
      engine.setRandomSeed(1);
      // drawn in libtorch: a model read from disk is mapped straight into native memory, and so are these
      CausalLm model = ModelFamilies.BUILT_IN.of(config).create(config, WeightSource.randomInEngine(manager, 0.02), precision);
      long parameters = model.namedParameters().values().stream().mapToLong(Parameter::size).sum();
      int layers = config.numLayers();
      List<PeftMethod> methods = new ArrayList<>();
      if (LORA.containsKey(method)) {
        methods.add(lora(LORA.get(method), method.startsWith("qlora"), model, manager));
      } else if (GALORE.containsKey(method)) {
        model.namedParameters().values().forEach(p -> p.setTrainable(true));
        methods.add(method("galore", GALORE.get(method), manager));
      } else if (method.equals("badam")) {
        model.namedParameters().values().forEach(p -> p.setTrainable(true));
        methods.add(method("badam", BADAM, manager));
      } else {
        model.namedParameters().forEach((name, p) -> p.setTrainable(method.equals("full")
            || name.contains(".layers." + (layers - 1) + ".") || name.contains(".layers." + (layers - 2) + ".")));
      }
      long allParameters = model.namedParameters().values().stream().mapToLong(Parameter::size).sum();
      long trainable = model.namedParameters().values().stream().filter(Parameter::trainable).mapToLong(Parameter::size).sum();
      long theoryBytes = optimizerStateTheory(method, model, layers);

      List<Double> stepMillis = new ArrayList<>();
      List<Double> stepFaults = new ArrayList<>();
      List<long[]> rss = new ArrayList<>();
      RandomTokens data = new RandomTokens(batch, length, vocab, stepMillis, stepFaults, rss, rssAt);
      CoreSettings.Training settings = new CoreSettings.Training(1e-4, 1, batch, 1, CoreSettings.Scheduler.CONSTANT, 0,
          0.0, 1.0, 1, CoreSettings.Precision.valueOf(precision.name()), checkpointing, 1, steps, steps, 0, 0,
          CoreSettings.OnNonFinite.STOP,
          0.9, 0.999, 1e-8, 0);
      Trainer trainer = Trainer.builder(model, settings, manager).methods(methods).train(data).build();
      trainer.run(null);
      data.stepEnded();
      long optimizerBytes = trainer.optimizerStateBytes();
      rss.add(new long[] {steps, kilobytes("VmRSS")});
      double medianStep = median(stepMillis.subList(Math.min(3, stepMillis.size() - 1), stepMillis.size()));
      double medianFaults = median(stepFaults.subList(Math.min(3, stepFaults.size() - 1), stepFaults.size()));
      double tokensPerSecond = batch * (double) length / (medianStep / 1000);
      double matmulGflops = matmulGflops(manager, batch * length, config.hiddenSize(), config.intermediateSize(), precision);
      // Training costs about 6 flops per parameter per token (2 forward, 4 backward) for full fine-tuning.
      double trainingGflops = 6.0 * parameters * tokensPerSecond / 1e9;
      StringBuilder json = new StringBuilder();
      json.append(String.format(Locale.ROOT,
          "{\"size\": \"%s\", \"method\": \"%s\", \"precision\": \"%s\", \"checkpointing\": %s, \"batch\": %d, "
              + "\"length\": %d, \"steps\": %d, \"parameters\": %d, "
              + "\"trainable\": %d, \"all_with_adapters\": %d, \"trainable_bytes\": %d, \"optimizer_state_bytes\": %d, "
              + "\"optimizer_state_theory_bytes\": %d, \"median_step_ms\": %.1f, \"tokens_per_second\": %.1f, \"peak_rss_mb\": %.1f, "
              + "\"matmul_gflops\": %.2f, \"training_gflops\": %.2f, \"minor_faults_per_step\": %.0f, \"threads\": %s",
          modelName, method, precision.name().toLowerCase(Locale.ROOT), checkpointing, batch, length, steps, parameters, trainable, allParameters, 4 * trainable,
          optimizerBytes, theoryBytes, medianStep, tokensPerSecond,
          kilobytes("VmHWM") / 1024.0, matmulGflops, trainingGflops, medianFaults, System.getProperty("ai.djl.pytorch.num_threads", "default")));
      for (long[] at : rss) {
        json.append(String.format(Locale.ROOT, ", \"rss_mb_at_step_%d\": %.1f", at[0], at[1] / 1024.0));
      }
      // steps 1 to n - 1: the data source sees a step end when the next one asks for its batch, so not the last
      json.append(", \"step_ms\": ").append(stepMillis.stream().map(ms -> String.format(Locale.ROOT, "%.0f", ms))
          .collect(Collectors.joining(", ", "[", "]")));
      System.out.println(json.append('}'));
    }
  }

  /** A named size with the benchmark's vocabulary of 256 tokens. */
  static ModelConfig namedConfig(String size) {
    return ModelSizes.valueOf(size.toUpperCase(Locale.ROOT)).config(ModelFamilies.BUILT_IN.of("llama").orElseThrow(), 256,
        Map.of("bos_token_id", 1, "eos_token_id", 2, "pad_token_id", 0));
  }

  /** The LoRA configurations the benchmark knows, by name. */
  static final Map<String, String> LORA = Map.of(
      "lora-r8-qv", "rank = 8, alpha = 16, target = [q_proj, v_proj]",
      "lora-r16-all", "rank = 16, alpha = 32, target = all-linear",
      "dora-r8-qv", "rank = 8, alpha = 16, target = [q_proj, v_proj], use-dora = true",
      "qlora-r8-qv", "rank = 8, alpha = 16, target = [q_proj, v_proj]");

  /** The GaLore configurations the benchmark knows (with {@code full}: every parameter trains), by name. */
  static final Map<String, String> GALORE = Map.of(
      "galore-r8", "rank = 8, update-interval = 200, scale = 0.25",
      "galore-r16", "rank = 16, update-interval = 200, scale = 0.25",
      "galore-r32", "rank = 32, update-interval = 200, scale = 0.25",
      "galore-r16-layerwise", "rank = 16, update-interval = 200, scale = 0.25, layerwise = true");

  /** BAdam's layer mode (with {@code full}); the first block (decoder layer 0) trains for the whole benchmark. */
  static final String BADAM = "mode = layer, switch-mode = ascending, switch-interval = 1000";

  /**
   * The optimizer state a method should hold after the run, from shapes alone: AdamW's two fp32 moments per
   * trainable value; GaLore's moments in the projected shape plus the projector for each 2-D linear weight but
   * the head (std: R = G·Pᵀ, m × r with P r × n when m ≥ n, else R = Pᵀ·G, r × n with P m × r), two moments for
   * the rest; BAdam's two moments for its active block (decoder layer 0).
   */
  static long optimizerStateTheory(String method, CausalLm model, int layers) {
    long bytes = 0;
    for (Map.Entry<String, Parameter> entry : model.namedParameters().entrySet()) {
      String name = entry.getKey();
      Parameter p = entry.getValue();
      if (!p.trainable()) {
        continue;
      }
      long[] shape = p.data().getShape().getShape();
      if (GALORE.containsKey(method) && shape.length == 2 && name.contains(".layers.")) {
        long rank = Long.parseLong(GALORE.get(method).replaceAll("rank = (\\d+),.*", "$1"));
        long m = shape[0];
        long n = shape[1];
        bytes += m >= n ? 8 * m * rank + 4 * rank * n : 8 * rank * n + 4 * m * rank;
      } else if (!method.equals("badam") || name.startsWith("model.layers.0.")) {
        bytes += 8 * p.size();
      }
    }
    return bytes;
  }

  /** Applies the built-in LoRA with {@code settings} to {@code model} (on a 4-bit base if asked), as a run would. */
  static PeftMethod lora(String settings, boolean quantized, CausalLm model, NDManager manager) {
    PeftMethod method = method("lora", settings, manager);
    ModuleModelView view = new ModuleModelView(model);
    if (quantized) {
      view.quantizeNf4(manager);
    }
    view.parameters().forEach(p -> p.setTrainable(false));
    ((AdapterMethod) method).apply(view);
    return method;
  }

  /** The built-in method {@code id} created with {@code settings} over its defaults. */
  static PeftMethod method(String id, String settings, NDManager manager) {
    Discovery discovery = PluginDiscovery.discover(TrainingBenchmark.class.getClassLoader(), List.of());
    MethodFactory<?> factory = discovery.methods().get(id).factory();
    Object read = factory.readSettings(new SettingsReader(ConfigFactory.parseString("peft4j." + id + " { " + settings + " }")
        .withFallback(discovery.reference()), "peft4j." + id));
    return create(factory, read, new RuntimeMethodContext(manager, 1));
  }

  @SuppressWarnings("unchecked")
  private static <S> PeftMethod create(MethodFactory<S> factory, Object settings, RuntimeMethodContext context) {
    return factory.create((S) settings, context);
  }

  /** GFLOP/s of {@code [m, k] · [n, k]ᵀ} in {@code precision}, the shape of an MLP projection of the model, median of 20. */
  static double matmulGflops(NDManager manager, int m, int k, int n, Precision precision) {
    NDArray a = precision.compute(manager.randomNormal(new Shape(m, k), DataType.FLOAT32));
    NDArray b = precision.compute(manager.randomNormal(new Shape(n, k), DataType.FLOAT32));
    List<Double> seconds = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      try (NDScope scope = new NDScope()) {
        long start = System.nanoTime();
        a.matMul(b.transpose()).getShape();
        if (i >= 5) {
          seconds.add((System.nanoTime() - start) / 1e9);
        }
      }
    }
    return 2.0 * m * k * n / median(seconds) / 1e9;
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** The process's minor page faults so far ({@code /proc/self/stat}, field 10), or -1. */
  static long minorFaults() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[7]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** A {@code /proc/self/status} field in KiB ({@code VmRSS}, {@code VmHWM}), or -1 where it cannot be read. */
  public static long kilobytes(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return -1;
  }

  /** Random token batches; each request marks the end of the previous step, so step times come out of it. */
  private static final class RandomTokens implements TrainingData {
    private final int batch;
    private final int length;
    private final int vocab;
    private final List<Double> stepMillis;
    private final List<Double> stepFaults;
    private final List<long[]> rss;
    private final List<Long> rssAt;
    private long last = System.nanoTime();
    private long lastFaults = minorFaults();
    private long served;

    RandomTokens(int batch, int length, int vocab, List<Double> stepMillis, List<Double> stepFaults, List<long[]> rss,
        List<Long> rssAt) {
      this.stepFaults = stepFaults;
      this.batch = batch;
      this.length = length;
      this.vocab = vocab;
      this.stepMillis = stepMillis;
      this.rss = rss;
      this.rssAt = rssAt;
    }

    @Override
    public int batchesPerEpoch() {
      return Integer.MAX_VALUE / 2;
    }

    /** Ends a step's time and faults: at the next batch, and after the last step (as hf_train.py counts it). */
    void stepEnded() {
      stepMillis.add((System.nanoTime() - last) / 1e6);
      stepFaults.add((double) (minorFaults() - lastFaults));
    }

    /**
     * With {@code -Dpeft4j.bench.profile=FILE}: libtorch's profiler over steps 4 and 5 (after the warm-up), written
     * to FILE as a Chrome trace (each operator with its time), to compare with torch.profiler on the same step.
     */
    private static void profile(long served) {
      String file = System.getProperty("peft4j.bench.profile");
      if (file != null && served == 4) {
        ai.djl.pytorch.jni.JniUtils.startProfile(false, true, false);
      } else if (file != null && served == 6) {
        ai.djl.pytorch.jni.JniUtils.stopProfile(file);
      }
    }

    @Override
    public Batch batch(int epoch, int index) {
      if (served > 0) {
        stepEnded();
      }
      lastFaults = minorFaults();
      if (rssAt.contains(served)) {
        rss.add(new long[] {served, kilobytes("VmRSS")});
      }
      profile(served);
      served++;
      last = System.nanoTime();
      Random random = new Random(index);
      int[][] ids = new int[batch][length];
      int[][] labels = new int[batch][length];
      int[][] mask = new int[batch][length];
      for (int b = 0; b < batch; b++) {
        for (int t = 0; t < length; t++) {
          ids[b][t] = random.nextInt(vocab);
          labels[b][t] = t == 0 ? CausalLmLoss.IGNORE : ids[b][t];
          mask[b][t] = 1;
        }
      }
      return new Batch(ids, labels, mask);
    }
  }
}
