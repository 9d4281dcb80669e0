package dev.peft4j.runtime.train;

import dev.peft4j.runtime.data.Batch;
import dev.peft4j.runtime.data.BatchArrays;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.config.CoreSettings.OnNonFinite;
import dev.peft4j.api.OptimizerHook;
import dev.peft4j.api.OptimizerHook.StepInfo;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.model.ModelView;
import dev.peft4j.api.model.ParameterView;
import dev.peft4j.runtime.model.llama.LlamaForCausalLM;
import dev.peft4j.runtime.model.llama.LlamaModelView;
import dev.peft4j.runtime.nn.Parameter;
import dev.peft4j.runtime.nn.Tensors;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The one training loop every method shares: batches, forward, masked cross-entropy, backward with
 * gradient accumulation, clipping, AdamW, the learning-rate schedule, evaluation, metrics and
 * checkpoints. Every step runs inside an {@link NDScope}, so native memory stays flat.
 */
public final class Trainer {

  private final LlamaForCausalLM model;
  private final ModelView view;
  private final List<PeftMethod> methods;
  /** The optimizer hooks by method id, which names their state in checkpoints. */
  private final Map<String, OptimizerHook> hooks;
  /** What the methods chose to train: the weights a checkpoint holds, whichever of them a hook lets train now. */
  private final Map<String, Parameter> tuned;
  /** What trains in the current step (a hook such as BAdam may narrow {@link #tuned} step by step). */
  private Map<String, Parameter> trainable;
  private final TrainingData train;
  private final TrainingData eval;
  private final CoreSettings.Training settings;
  private final Checkpoints checkpoints;
  private final MetricsLog metrics;
  private final Progress progress;
  private final NDManager manager;
  private final AdamW optimizer;
  private final StagedPass pass;

  /** Hook state is saved with the optimizer's tensors under {@code hook.<method id>.}. */
  static final String HOOK = "hook.";

  /** What a run did. */
  public record Result(long steps, int skippedSteps, OptionalDouble evalLossBefore, OptionalDouble evalLossAfter,
      double lastLoss, Path lastCheckpoint) {}

  /**
   * A trainer whose methods are named by their class (for tests and programs that create methods
   * themselves); a run names them by method id.
   */
  public Trainer(LlamaForCausalLM model, List<? extends PeftMethod> methods, TrainingData train, TrainingData eval,
      CoreSettings.Training settings, Checkpoints checkpoints, MetricsLog metrics, PrintWriter out, boolean terminal,
      NDManager manager) {
    this(model, byClassName(methods), train, eval, settings, checkpoints, metrics, out, terminal, manager);
  }

  /**
   * @param methods the run's methods by id, in the order they were chosen
   * @param eval held-out data, or null
   * @param terminal whether {@code out} is a terminal (a redrawn progress bar) or a log (plain lines)
   */
  public Trainer(LlamaForCausalLM model, Map<String, ? extends PeftMethod> methods, TrainingData train,
      TrainingData eval, CoreSettings.Training settings, Checkpoints checkpoints, MetricsLog metrics, PrintWriter out,
      boolean terminal, NDManager manager) {
    this.model = model;
    this.view = new LlamaModelView(model);
    this.methods = List.copyOf(methods.values());
    Map<String, OptimizerHook> optimizerHooks = new LinkedHashMap<>();
    methods.forEach((id, method) -> {
      if (method instanceof OptimizerHook hook) {
        optimizerHooks.put(id, hook);
      }
    });
    this.hooks = optimizerHooks;
    this.tuned = trainableNow();
    this.trainable = tuned;
    if (trainable.isEmpty()) {
      throw new TrainingException("no parameter trains: the chosen methods froze every weight");
    }
    this.train = train;
    this.eval = eval;
    this.settings = settings;
    this.checkpoints = checkpoints;
    this.metrics = metrics;
    this.manager = manager;
    this.optimizer = new AdamW(settings.adamBeta1(), settings.adamBeta2(), settings.adamEpsilon(), manager);
    this.pass = new StagedPass(manager.getEngine(), settings.gradientCheckpointing(), model.config().vocabSize());
    this.progress = new Progress(out, terminal, totalSteps(), settings.loggingSteps());
    if (layerwise() && settings.gradientAccumulationSteps() > 1) {
      throw new TrainingException("a method steps parameters during the backward pass (layer-wise), so gradients "
          + "cannot accumulate: set training.gradient-accumulation-steps = 1");
    }
  }

  /** Whether a hook asks for parameters to be stepped during the backward pass, stage by stage. */
  private boolean layerwise() {
    return hooks.values().stream().anyMatch(OptimizerHook::stepsDuringBackward);
  }

  private static Map<String, PeftMethod> byClassName(List<? extends PeftMethod> methods) {
    Map<String, PeftMethod> named = new LinkedHashMap<>();
    for (PeftMethod method : methods) {
      String name = method.getClass().getSimpleName();
      named.put(named.containsKey(name) ? name + "-" + named.size() : name, method);
    }
    return named;
  }

  /** Optimizer steps of the whole run. */
  public long totalSteps() {
    long microBatches = (long) settings.epochs() * train.batchesPerEpoch();
    long steps = (microBatches + settings.gradientAccumulationSteps() - 1) / settings.gradientAccumulationSteps();
    return settings.maxSteps() >= 0 ? Math.min(steps, settings.maxSteps()) : steps;
  }

  /** Trains from the start, or from {@code resume} when given. */
  public Result run(Checkpoints.Saved resume) {
    long total = totalSteps();
    LearningRateSchedule schedule = new LearningRateSchedule(settings.learningRate(), settings.warmupSteps(), total,
        settings.lrScheduler());
    long step = 0;
    int skipped = 0;
    if (resume != null) {
      restore(resume);
      step = resume.state().step();
      skipped = resume.state().skippedSteps();
      progress.line("resuming from " + resume.folder() + " at step " + step + "/" + total);
    }
    OptionalDouble before = evaluate(step);
    setTraining(true);
    Path lastCheckpoint = resume == null ? null : resume.folder();
    double lastLoss = Double.NaN;
    long started = System.nanoTime();
    long tokens = 0;
    GradientWatch gradients = new GradientWatch();
    while (step < total) {
      StepOutcome outcome = step(step, schedule.at(step));
      if (!outcome.finite()) {
        if (settings.onNonFinite() == OnNonFinite.STOP) {
          throw new TrainingException(String.format(Locale.ROOT,
              "step %d: the %s is not finite (%s); training stopped. %s Lower training.learning-rate, check the data, "
                  + "or set training.on-nonfinite = skip to drop such steps",
              step + 1, outcome.what(), outcome.value(),
              lastCheckpoint == null ? "No checkpoint was written yet." : "The last good checkpoint is " + lastCheckpoint + "."));
        }
        skipped++;
        progress.line("step " + (step + 1) + ": " + outcome.what() + " is not finite; step skipped (" + skipped + " so far)");
      } else {
        lastLoss = outcome.loss();
        requireFiniteWeights(step + 1, lastCheckpoint);
      }
      step++;
      gradients.observe(step, outcome.finite() ? outcome.gradNorm() : Double.NaN).ifPresent(progress::line);
      tokens += outcome.tokens();
      double seconds = (System.nanoTime() - started) / 1e9;
      progress.step(step, lastLoss, schedule.at(step - 1), tokens / Math.max(seconds, 1e-9));
      if (step % settings.loggingSteps() == 0 || step == total) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("step", step);
        line.put("loss", outcome.finite() ? outcome.loss() : null);
        line.put("lr", schedule.at(step - 1));
        line.put("grad_norm", outcome.gradNorm());
        line.put("tokens_per_second", tokens / Math.max(seconds, 1e-9));
        line.put("skipped_steps", skipped);
        metrics.write(line);
      }
      if (settings.evalSteps() > 0 && step % settings.evalSteps() == 0 && step < total) {
        evaluate(step);
        setTraining(true);
      }
      if ((settings.saveSteps() > 0 && step % settings.saveSteps() == 0) || step == total) {
        lastCheckpoint = save(step, total, skipped);
      }
    }
    OptionalDouble after = evaluate(step);
    return new Result(step, skipped, before, after, lastLoss, lastCheckpoint);
  }

  /**
   * A finite loss and gradient can still step the weights to infinity (a learning rate of 3e38): that cannot be
   * skipped, since the step is done, so the run stops whatever on-nonfinite says.
   */
  private void requireFiniteWeights(long step, Path lastCheckpoint) {
    // what this step changed: BAdam's other blocks did not move
    Map<String, NDArray> weights = new LinkedHashMap<>();
    trainable.forEach((name, p) -> weights.put(name, p.data()));
    List<String> bad = FiniteWeights.nonFinite(weights);
    if (!bad.isEmpty()) {
      throw new TrainingException("step " + step + ": the optimizer step made the weights non-finite (NaN or infinity "
          + "in " + FiniteWeights.describe(bad) + "); training stopped and no model was written. "
          + (lastCheckpoint == null ? "No checkpoint was written yet." : "The last good checkpoint is " + lastCheckpoint
          + ".") + " Lower training.learning-rate (and check the data), then train again");
    }
  }

  private Map<String, Parameter> trainableNow() {
    Map<String, Parameter> now = new LinkedHashMap<>();
    model.namedParameters().forEach((name, p) -> {
      if (p.trainable()) {
        now.put(name, p);
      }
    });
    return now;
  }

  private record StepOutcome(boolean finite, String what, double value, double loss, double gradNorm, long tokens) {}

  /**
   * Lets the hooks prepare a step (BAdam chooses its block here), then frees the state and gradients of
   * parameters that stopped training and resets AdamW when a hook asks for it.
   */
  private StepInfo beginStep(long step, double learningRate) {
    StepInfo info = new StepInfo(step, learningRate, settings.adamBeta1(), settings.adamBeta2(),
        settings.adamEpsilon(), settings.weightDecay());
    hooks.values().forEach(hook -> hook.beforeStep(info, view));
    boolean reset = false;
    for (OptimizerHook hook : hooks.values()) {
      reset |= hook.resetsOptimizerState(info);
    }
    Map<String, Parameter> now = trainableNow();
    for (Map.Entry<String, Parameter> entry : trainable.entrySet()) {
      if (!now.containsKey(entry.getKey())) {
        release(entry.getKey(), entry.getValue());
      }
    }
    if (reset) {
      optimizer.resetAll();
    }
    trainable = now;
    return info;
  }

  /**
   * One optimizer step: the forward and backward pass of each micro-batch of its accumulation window ({@link
   * StagedPass}), then clipping and every parameter's update — or, for a layer-wise hook, each stage's parameters
   * stepped as soon as their gradients are complete, during the backward pass.
   */
  private StepOutcome step(long step, double learningRate) {
    boolean layerwise = layerwise();
    try (NDScope scope = new NDScope()) {
      StepInfo info = beginStep(step, learningRate);
      int accumulation = settings.gradientAccumulationSteps();
      long first = step * accumulation;
      long available = (long) settings.epochs() * train.batchesPerEpoch();
      // The last window of a run may hold fewer micro-batches: average over those it has.
      int window = (int) Math.min(accumulation, available - first);
      List<List<ParameterView>> byStage = new ArrayList<>();
      int lowest = stagesOfTrainables(byStage);
      double lossSum = 0;
      long tokens = 0;
      double[] squares = {0};
      for (int micro = 0; micro < window; micro++) {
        long at = first + micro;
        Batch batch = train.batch((int) (at / train.batchesPerEpoch()), (int) (at % train.batchesPerEpoch()));
        tokens += batch.realTokens();
        // A scope per micro-batch: its activations are freed once its gradients are added, so accumulating
        // gradients over several micro-batches costs the memory of one.
        try (NDScope microScope = new NDScope()) {
          BatchArrays arrays = batch.toNDArrays(manager);
          StagedPass.Loss loss = pass.train(model.stages(arrays.inputIds(), batch.attentionMask()), arrays.inputIds(),
              batch, lowest, 1.0 / window, seedOf(step, micro),
              layerwise ? stage -> stepStage(byStage.get(stage), info, squares) : stage -> { });
          if (!loss.finite()) {
            zeroGradients();
            return new StepOutcome(false, "loss", loss.sum(), loss.sum(), Double.NaN, tokens);
          }
          lossSum += loss.mean();
        } catch (NonFiniteGradient e) {
          freeGradients(view.parameters());
          return new StepOutcome(false, "gradient norm", e.squares, Double.NaN, e.squares, tokens);
        }
      }
      double loss = lossSum / window;
      if (layerwise) {
        return new StepOutcome(true, "loss", loss, loss, Math.sqrt(squares[0]), tokens);
      }
      double norm = clipGradients();
      if (!Double.isFinite(norm)) {
        zeroGradients();
        return new StepOutcome(false, "gradient norm", norm, loss, norm, tokens);
      }
      for (ParameterView parameter : view.parameters()) {
        if (parameter.trainable()) {
          update(parameter, info);
        }
      }
      zeroGradients();
      return new StepOutcome(true, "loss", loss, loss, norm, tokens);
    }
  }

  /** The seed of a step's micro-batch: each stage of its pass derives its own from it. */
  private long seedOf(long step, int micro) {
    return settings.seed() * 1_000_003L + step * 64 + micro;
  }

  /**
   * Sorts the trainable parameters by the stage whose backward pass completes their gradients (into {@code
   * byStage}, one list per stage) and returns the lowest such stage: the backward pass need not go below it.
   */
  private int stagesOfTrainables(List<List<ParameterView>> byStage) {
    int count = model.stageCount();
    for (int s = 0; s < count; s++) {
      byStage.add(new ArrayList<>());
    }
    int lowest = count - 1;
    for (ParameterView parameter : view.parameters()) {
      if (parameter.trainable()) {
        int s = model.stageOf(parameter.name());
        byStage.get(s).add(parameter);
        lowest = Math.min(lowest, s);
      }
    }
    return lowest;
  }

  /** A layer-wise step of one stage's parameters, their gradients complete: check, step, free the gradients. */
  private void stepStage(List<ParameterView> parameters, StepInfo info, double[] squares) {
    for (ParameterView parameter : parameters) {
      try (NDScope scope = new NDScope()) {
        squares[0] += parameter.data().getGradient().square().sum().getFloat();
      }
    }
    if (!Double.isFinite(squares[0])) {
      throw new NonFiniteGradient(squares[0]);
    }
    for (ParameterView parameter : parameters) {
      update(parameter, info);
    }
    freeGradients(parameters);
  }

  /** A layer-wise step found a gradient that is not finite: the step stops before another stage is stepped. */
  private static final class NonFiniteGradient extends RuntimeException {
    private final double squares;

    NonFiniteGradient(double squares) {
      super(null, null, false, false);
      this.squares = squares;
    }
  }

  /** A parameter that stops training keeps neither optimizer state nor gradient. */
  private void release(String name, Parameter parameter) {
    optimizer.reset(name);
    freeGradient(parameter);
  }

  /**
   * Steps one trainable parameter from its gradient: by the hook that owns it, or by AdamW. A scope per
   * parameter frees the update's temporaries (several arrays of the parameter's size) at once, not at the end
   * of the step, so that they never exist for the whole model together; what a hook keeps across steps it
   * unregisters from the scope, as it must from the step's.
   */
  private void update(ParameterView parameter, StepInfo info) {
    NDArray weights = parameter.data();
    try (NDScope scope = new NDScope()) {
      OptimizerHook owner = hooks.values().stream().filter(h -> h.ownsUpdate(parameter)).findFirst().orElse(null);
      if (owner != null) {
        owner.update(parameter, weights.getGradient(), info);
        return;
      }
      double scale = hooks.values().stream().mapToDouble(h -> h.learningRateScale(parameter)).reduce(1.0, (a, b) -> a * b);
      boolean decays = weights.getShape().dimension() >= 2;
      optimizer.step(parameter.name(), weights, weights.getGradient(), info.learningRate() * scale,
          decays ? settings.weightDecay() : 0);
    }
  }

  /** Frees the gradients of the trainable parameters among {@code parameters} ({@link #freeGradient}). */
  private void freeGradients(List<ParameterView> parameters) {
    for (ParameterView parameter : parameters) {
      Parameter p = trainable.get(parameter.name());
      if (p != null) {
        freeGradient(p);
      }
    }
  }

  /**
   * Gives {@code parameter} a new array over the same values, without a gradient: the old array, and the
   * gradient libtorch keeps with it (freezing alone keeps the gradient), is freed once no graph holds it.
   */
  private static void freeGradient(Parameter parameter) {
    NDArray fresh = parameter.data().stopGradient();
    NDScope.unregister(fresh);
    parameter.set(fresh);
  }

  /** Scales every gradient so that their global L2 norm is at most max-grad-norm; returns the norm before. */
  private double clipGradients() {
    double squares = 0;
    for (Parameter p : trainable.values()) {
      // A scope per parameter: the squared gradient is freed at once, not when the step ends.
      try (NDScope scope = new NDScope()) {
        squares += p.data().getGradient().square().sum().getFloat();
      }
    }
    double norm = Math.sqrt(squares);
    double max = settings.maxGradNorm();
    if (max > 0 && norm > max && Double.isFinite(norm)) {
      float factor = (float) (max / (norm + 1e-6));
      for (Parameter p : trainable.values()) {
        p.data().getGradient().muli(factor);
      }
    }
    return norm;
  }

  private void zeroGradients() {
    for (Parameter p : trainable.values()) {
      p.data().getGradient().set(new NDIndex("..."), 0);
    }
  }

  private void setTraining(boolean training) {
    methods.forEach(method -> method.setTraining(training));
  }

  /** Mean loss over every counted token of the eval data, written to the metrics; empty without eval data. */
  private OptionalDouble evaluate(long step) {
    setTraining(false);
    if (eval == null || eval.batchesPerEpoch() == 0) {
      return OptionalDouble.empty();
    }
    double total = 0;
    double count = 0;
    for (int i = 0; i < eval.batchesPerEpoch(); i++) {
      try (NDScope scope = new NDScope()) {
        Batch batch = eval.batch(0, i);
        BatchArrays arrays = batch.toNDArrays(manager);
        StagedPass.Loss loss = pass.evaluate(model.stages(arrays.inputIds(), batch.attentionMask()), arrays.inputIds(), batch);
        total += loss.sum();
        count += loss.counted();
      }
    }
    double loss = total / Math.max(1, count);
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("step", step);
    line.put("eval_loss", loss);
    line.put("eval_perplexity", Math.exp(loss));
    metrics.write(line);
    progress.line(String.format(Locale.ROOT, "step %d: eval loss %.4f, perplexity %.2f", step, loss, Math.exp(loss)));
    return OptionalDouble.of(loss);
  }

  private Path save(long step, long total, int skipped) {
    Map<String, NDArray> weights = new LinkedHashMap<>();
    tuned.forEach((name, p) -> weights.put(name, p.data()));
    Map<String, NDArray> optimizerTensors = new LinkedHashMap<>(optimizer.stateTensors());
    hooks.forEach((id, hook) -> hook.optimizerState().forEach((key, array) -> optimizerTensors.put(HOOK + id + "." + key, array)));
    TrainerState state = new TrainerState(step, total, settings.seed(), skipped, optimizer.stepCounts(), train.fingerprint(),
        List.copyOf(hooks.keySet()));
    Path folder = checkpoints.save(state, weights, optimizerTensors);
    if (folder != null) {
      progress.line("step " + step + ": checkpoint " + folder);
    }
    return folder;
  }

  private void restore(Checkpoints.Saved saved) {
    TrainerState state = saved.state();
    boolean otherData = state.dataFingerprint() != 0 && train.fingerprint() != 0 && state.dataFingerprint() != train.fingerprint();
    if (otherData || state.seed() != settings.seed()) {
      throw new TrainingException("checkpoint " + saved.folder() + " was written by a run with other "
          + (otherData ? "training data, cutoff or batch size" : "training.seed (" + state.seed() + ")")
          + ": resuming would not continue where that run stopped. Resume with the same data and settings, "
          + "or start a new output.dir");
    }
    for (String id : hooks.keySet()) {
      if (!state.hooks().contains(id)) {
        throw new TrainingException("checkpoint " + saved.folder() + " holds no optimizer state of " + id
            + ": it was written by a run without " + id + ", or by a peft4j that did not save the state of optimizer "
            + "hooks, and resuming would restart " + id + "'s optimizer from nothing. Start a new output.dir, or resume "
            + "with the methods that wrote it");
      }
    }
    for (Map.Entry<String, Parameter> entry : tuned.entrySet()) {
      NDArray values = saved.trainable().get(entry.getKey());
      if (values == null) {
        throw new TrainingException("checkpoint " + saved.folder() + " has no weights for " + entry.getKey()
            + ": it was written by a run with other methods; start a new output.dir or choose the same methods");
      }
      NDArray copy = values.duplicate();
      copy.attach(manager);
      NDScope.unregister(copy);
      entry.getValue().set(copy);
    }
    optimizer.restore(saved.optimizer(), saved.state().optimizerSteps());
    hooks.forEach((id, hook) -> {
      Map<String, NDArray> hookState = new LinkedHashMap<>();
      saved.optimizer().forEach((key, array) -> {
        if (key.startsWith(HOOK + id + ".")) {
          hookState.put(key.substring(HOOK.length() + id.length() + 1), array);
        }
      });
      hook.loadOptimizerState(hookState);
    });
    // Both were copied: the arrays read from the checkpoint are not needed for the rest of the run.
    saved.trainable().values().forEach(NDArray::close);
    saved.optimizer().values().forEach(NDArray::close);
  }

  /** The model's mean loss on {@code batch} as evaluation computes it, without a gradient. */
  public double loss(Batch batch) {
    setTraining(false);
    try (NDScope scope = new NDScope()) {
      BatchArrays arrays = batch.toNDArrays(manager);
      return pass.evaluate(model.stages(arrays.inputIds(), batch.attentionMask()), arrays.inputIds(), batch).mean();
    }
  }

  /** Bytes of optimizer state the run holds now: AdamW's and every hook's. */
  public long optimizerStateBytes() {
    long hookBytes = 0;
    for (OptimizerHook hook : hooks.values()) {
      for (NDArray array : hook.optimizerState().values()) {
        hookBytes += array.getShape().size() * array.getDataType().getNumOfBytes();
      }
    }
    return optimizer.stateBytes() + hookBytes;
  }

  public LlamaForCausalLM model() {
    return model;
  }
}
