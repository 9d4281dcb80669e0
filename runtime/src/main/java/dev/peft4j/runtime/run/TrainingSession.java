package dev.peft4j.runtime.run;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.peft4j.api.AdapterMethod;
import dev.peft4j.api.AdapterState;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.config.ConfigurationException;
import dev.peft4j.api.config.Origins;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.data.BatchPosition;
import dev.peft4j.runtime.data.Batches;
import dev.peft4j.runtime.data.DataOptions;
import dev.peft4j.runtime.data.Datasets;
import dev.peft4j.runtime.data.Example;
import dev.peft4j.runtime.io.AdapterFiles;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelFiles;
import dev.peft4j.runtime.model.ModuleModelView;
import dev.peft4j.runtime.nn.Bf16Support;
import dev.peft4j.runtime.nn.NativeMemory;
import dev.peft4j.runtime.nn.Nf4Linear;
import dev.peft4j.runtime.nn.Parameter;
import dev.peft4j.runtime.plugin.Discovery;
import dev.peft4j.runtime.setup.Adapters;
import dev.peft4j.runtime.setup.MethodSetup;
import dev.peft4j.runtime.setup.RuntimeMethodContext;
import dev.peft4j.runtime.tokenizer.Tokenizer;
import dev.peft4j.runtime.train.CheckpointWriter;
import dev.peft4j.runtime.train.Checkpoints;
import dev.peft4j.runtime.train.FileCheckpoints;
import dev.peft4j.runtime.train.FiniteWeights;
import dev.peft4j.runtime.train.LossPlot;
import dev.peft4j.runtime.train.MetricsLog;
import dev.peft4j.runtime.train.Progress;
import dev.peft4j.runtime.train.RunIdentity;
import dev.peft4j.runtime.train.Trainer;
import dev.peft4j.runtime.train.TrainingData;
import dev.peft4j.runtime.train.TrainingException;
import dev.peft4j.runtime.train.TrainingListener;
import dev.peft4j.runtime.validate.ValidationReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One training run from a validated configuration: the model, the methods, the data, the loop, and
 * what a run leaves in {@code output.dir} — {@code checkpoints/}, {@code metrics.jsonl}, {@code
 * loss.png} and the trained {@code model/} or {@code adapter/}.
 */
public final class TrainingSession {

  /** What the run left behind: {@code model} is the trained model's folder, or the trained adapter's. */
  public record Outcome(Trainer.Result result, Path outputDir, Path model, Path metrics, Path plot) {}

  private final ValidationReport report;
  private final CoreSettings core;
  private final Discovery discovery;
  private final RunFolder.Start start;
  private final PrintWriter out;
  private final boolean terminal;
  private final List<TrainingListener> listeners;

  private TrainingSession(ValidationReport report, Discovery discovery, RunFolder.Start start, PrintWriter out,
      boolean terminal, List<TrainingListener> listeners) {
    this.report = report;
    this.core = report.core();
    this.discovery = discovery;
    this.start = start;
    this.out = out;
    this.terminal = terminal;
    this.listeners = List.copyOf(listeners);
  }

  /**
   * Runs with output.dir locked for this run alone ({@link RunLock}), prepared by {@link RunFolder#prepare}.
   *
   * @param out where the run's lines go (the progress bar, notices, the summary)
   * @param terminal whether {@code out} is a terminal (a redrawn progress bar) or a log (plain lines)
   * @param listeners the caller's own listeners, called after the progress, the metrics and the checkpoints
   * @throws TrainingException when output.dir is in use, holds another run, or the checkpoint to resume from is
   *     of other settings; when training fails, or its result is not finite (then no model is written)
   */
  public static Outcome train(ValidationReport report, Discovery discovery, RunFolder.Start start, PrintWriter out,
      boolean terminal, List<TrainingListener> listeners) {
    try (RunLock lock = RunLock.acquire(report.core().outputDir())) {
      RunFolder.prepare(report.core().outputDir(), start, line -> {
        out.println(line);
        out.flush();
      });
      return new TrainingSession(report, discovery, start, out, terminal, listeners).locked();
    }
  }

  /** The model with the methods applied (and a saved adapter loaded), and the adapters among the methods. */
  private record Tuned(CausalLm model, List<AdapterMethod> adapters) {}

  private Outcome locked() {
    if (core.data().train().isEmpty()) {
      throw new ConfigurationException(List.of(new SettingProblem(
          "peft4j.data.train", Origins.DEFAULT, "must be set to train: a JSON lines file (see examples/data/)")));
    }
    Path modelPath = core.model().path().orElseThrow();
    Path outputDir = core.outputDir();
    configureThreads(core.training().threads());
    Engine engine = Engine.getEngine("PyTorch");
    try (NDManager manager = engine.newBaseManager(engine.defaultDevice())) {
      // A method's lines go where the progress goes, each on a line of its own (not inside the redrawn bar).
      MethodSetup.Created methods = MethodSetup.create(report, discovery,
          new RuntimeMethodContext(manager, core.training().seed(), this::line));
      try (Tokenizer tokenizer = Tokenizer.load(modelPath)) {
        Tuned tuned = tune(modelPath, methods, manager);
        DataOptions options = DataOptions.of(core.data());
        List<Example> trainExamples = Datasets.prepare(core.data().train(), options, tokenizer,
            summary -> out.println("train: " + summary));
        List<Example> evalExamples = List.of();
        if (core.data().valSize() > 0) {
          Datasets.Split split = Datasets.split(trainExamples, core.data().valSize(), core.training().seed());
          trainExamples = split.train();
          evalExamples = split.eval();
          out.println("eval: " + evalExamples.size() + " examples held out of data.train's " + (trainExamples.size()
              + evalExamples.size()) + " (data.val-size), " + trainExamples.size() + " to train on");
        }
        Batches train = Batches.shuffled(trainExamples, core.training().batchSize(), core.training().seed(),
            tokenizer.padId());
        TrainingData eval = null;
        if (!core.data().eval().isEmpty()) {
          evalExamples = Datasets.prepare(core.data().eval(), options, tokenizer, summary -> out.println("eval: " + summary));
        }
        if (!evalExamples.isEmpty()) {
          eval = data(Batches.inOrder(evalExamples, core.training().batchSize(), tokenizer.padId()));
        }
        RunIdentity identity = RunFolder.identity(report, discovery);
        FileCheckpoints checkpoints = new FileCheckpoints(outputDir.resolve("checkpoints"), 0, identity, this::line);
        Checkpoints.Saved saved = start.resume() ? resumePoint(checkpoints, identity, tuned.model(), manager) : null;
        Path metricsFile = outputDir.resolve("metrics.jsonl");
        Trainer.Result result;
        try (MetricsLog metrics = new MetricsLog(metricsFile, saved == null ? 0 : saved.state().step())) {
          Trainer.Builder builder = Trainer.builder(tuned.model(), core.training(), manager).methods(methods.byId())
              .train(data(train)).eval(eval).listener(new Progress(out, terminal)).listener(metrics)
              .listener(new CheckpointWriter(checkpoints, core.training().saveSteps()));
          listeners.forEach(builder::listener);
          Trainer trainer = builder.build();
          if (saved != null && saved.state().step() > trainer.totalSteps()) {
            throw new TrainingException("checkpoint " + saved.folder() + " is at step " + saved.state().step()
                + ", past the end of this run (" + trainer.totalSteps() + " steps): raise training.max-steps or "
                + "training.epochs to continue it");
          }
          result = trainer.run(saved);
          requireFiniteResult(result, trainer, train);
        }
        Path modelOut = writeResult(tuned, modelPath, outputDir);
        Path plot = outputDir.resolve("loss.png");
        LossPlot.write(metricsFile, plot, "peft4j: " + String.join(" + ", report.settings().keySet()));
        if (result.evalLossBefore().isPresent() && result.evalLossAfter().isPresent()) {
          out.printf(Locale.ROOT, "eval loss %.4f -> %.4f (perplexity %.2f -> %.2f)%n",
              result.evalLossBefore().getAsDouble(), result.evalLossAfter().getAsDouble(),
              Math.exp(result.evalLossBefore().getAsDouble()), Math.exp(result.evalLossAfter().getAsDouble()));
        }
        out.println((tuned.adapters().isEmpty() ? "trained model: " : "trained adapter: ") + modelOut + "; metrics: "
            + metricsFile + "; loss curve: " + plot);
        out.flush();
        return new Outcome(result, outputDir, modelOut, metricsFile, plot);
      } catch (IOException e) {
        throw new TrainingException("cannot write the run's outputs in " + outputDir + ": " + e.getMessage(), e);
      } finally {
        methods.methods().forEach(PeftMethod::close);
      }
    }
  }

  /** Loads the model in the run's precision, stores its base as NF4 if asked, applies the methods, loads an adapter. */
  private Tuned tune(Path modelPath, MethodSetup.Created methods, NDManager manager) {
    out.println("model " + modelPath + " on " + manager.getDevice());
    Bf16Support.Choice precision = Bf16Support.detect().choose(core.training().precision());
    out.println(precision.why());
    boolean nf4 = core.model().quantization() == CoreSettings.Quantization.NF4;
    boolean doubleQuantization = core.model().doubleQuantization();
    // a 4-bit base is quantized a decoder layer at a time as it is read: the whole model never exists at full precision
    CausalLm model = ModelFiles.load(modelPath, manager, precision.precision(),
        nf4 ? layer -> Nf4Linear.quantizeLinears(layer, manager, doubleQuantization) : layer -> {});
    ModuleModelView view = new ModuleModelView(model);
    if (nf4) {
      out.println("base weights of the decoder layers stored as NF4 (4-bit)"
          + (doubleQuantization ? ", their block scales double-quantized (8-bit)" : ""));
    }
    MethodSetup.apply(methods, view);
    List<AdapterMethod> adapters = methods.methods().stream().filter(AdapterMethod.class::isInstance)
        .map(AdapterMethod.class::cast).toList();
    if (core.model().adapterPath().isPresent()) {
      Path adapterPath = core.model().adapterPath().get();
      AdapterState saved = AdapterFiles.read(adapterPath, manager);
      Adapters.requireRunMatches(adapterPath, saved.config(), report.run().merged(), discovery);
      adapters.forEach(adapter -> Adapters.load(adapter, saved, adapterPath));
      out.println("adapter " + adapterPath + " loaded");
    }
    out.println(MethodSetup.trainableLine(view));
    NativeMemory.releaseFreed(); // gives back what the load freed: a 4-bit base's quantization, converted pieces
    return new Tuned(model, adapters);
  }

  /** The newest good checkpoint of output.dir, checked to belong to this run and to fit its model. */
  private Checkpoints.Saved resumePoint(FileCheckpoints checkpoints, RunIdentity identity, CausalLm model,
      NDManager manager) {
    Checkpoints.Saved saved = checkpoints.latest(manager).orElseThrow(() -> new TrainingException(
        "there is no checkpoint to resume from in " + core.outputDir().resolve("checkpoints")
            + ": run without --resume to start"));
    RunFolder.requireSameRun(saved, identity, start, out::println);
    CheckpointFit.require(saved, trainable(model));
    return saved;
  }

  /**
   * Writes the trained adapter (when a method is one) and its {@linkplain AdapterMethod#conversions conversions}, or
   * else the whole trained model, in the base's dtype.
   */
  private Path writeResult(Tuned tuned, Path modelPath, Path outputDir) throws IOException {
    CausalLm model = tuned.model();
    if (tuned.adapters().isEmpty()) {
      Path modelOut = outputDir.resolve("model");
      FiniteWeights.require(arrays(model.namedParameters()), "writing the trained model " + modelOut);
      ModelFiles.save(model, modelOut, modelPath, model.namedParameters().keySet(), ModelFiles.weightsDtype(modelPath));
      return modelOut;
    }
    Path modelOut = outputDir.resolve("adapter");
    AdapterState trained = tuned.adapters().get(0).state();
    FiniteWeights.require(trained.tensors(), "writing the trained adapter " + modelOut);
    AdapterFiles.write(modelOut, trained, modelPath.toString());
    try (NDScope scope = new NDScope()) {
      for (Map.Entry<String, AdapterState> conversion : tuned.adapters().get(0).conversions().entrySet()) {
        Path folder = outputDir.resolve(conversion.getKey());
        AdapterFiles.write(folder, conversion.getValue(), modelPath.toString());
        out.println("converted adapter: " + folder);
      }
    }
    return modelOut;
  }

  private void line(String text) {
    out.println((terminal ? "\r" : "") + text);
    out.flush();
  }

  /**
   * Finite weights can still compute NaN (weights of 1e30 overflow in the forward pass; {@code on-nonfinite = skip}
   * then skips every later step): the trained model's loss, on the eval data or else on the first training batch,
   * must be finite before it is written.
   */
  private static void requireFiniteResult(Trainer.Result result, Trainer trainer, Batches train) {
    double loss;
    String on;
    if (result.evalLossAfter().isPresent()) {
      loss = result.evalLossAfter().getAsDouble();
      on = "the eval data";
    } else {
      loss = trainer.loss(train.batch(new BatchPosition(0, 0)));
      on = "the first training batch";
    }
    if (!Double.isFinite(loss)) {
      throw new TrainingException("the trained model's loss on " + on + " is not finite (" + loss + ") after "
          + result.steps() + " steps (" + result.skippedSteps() + " skipped): no model was written. "
          + (result.lastCheckpoint() == null ? "" : "Its checkpoints hold finite weights that may compute the same: "
          + "start again (--overwrite) rather than resume. ") + "Lower training.learning-rate (and check the data), "
          + "then train again");
    }
  }

  /** The weights the methods chose to train, as the trainer finds them. */
  private static Map<String, Parameter> trainable(CausalLm model) {
    Map<String, Parameter> trainable = new LinkedHashMap<>();
    model.namedParameters().forEach((name, p) -> {
      if (p.trainable()) {
        trainable.put(name, p);
      }
    });
    return trainable;
  }

  private static Map<String, NDArray> arrays(Map<String, Parameter> parameters) {
    Map<String, NDArray> arrays = new LinkedHashMap<>();
    parameters.forEach((name, p) -> arrays.put(name, p.data()));
    return arrays;
  }

  /** Batches addressed as the trainer asks for them. */
  static TrainingData data(Batches batches) {
    return new TrainingData() {
      @Override
      public int batchesPerEpoch() {
        return batches.batchesPerEpoch();
      }

      @Override
      public dev.peft4j.runtime.data.Batch batch(int epoch, int index) {
        return batches.batch(new BatchPosition(epoch, index));
      }

      @Override
      public long fingerprint() {
        return 31 * batches.fingerprint() + batches.batchSize();
      }
    };
  }

  /** The engine reads its thread count once, when it starts. */
  static void configureThreads(int threads) {
    if (threads > 0 && System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
    }
  }
}
