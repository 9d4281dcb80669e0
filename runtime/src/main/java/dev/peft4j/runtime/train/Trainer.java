package dev.peft4j.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.jni.JniUtils;
import dev.peft4j.api.OptimizerHook;
import dev.peft4j.api.OptimizerHook.StepInfo;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.model.ModelView;
import dev.peft4j.api.model.ParameterView;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.config.CoreSettings.OnNonFinite;
import dev.peft4j.runtime.data.Batch;
import dev.peft4j.runtime.data.BatchArrays;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModuleModelView;
import dev.peft4j.runtime.nn.Parameter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The one training loop every method shares: batches, forward, masked cross-entropy, backward with
 * gradient accumulation, clipping, AdamW, the learning-rate schedule and evaluation. What follows the run — the
 * progress bar, {@link MetricsLog}, {@link CheckpointWriter}, a program's own — is a {@link TrainingListener}. Every
 * step runs inside an {@link NDScope}, so native memory stays flat.
 */
public final class Trainer {

  private final CausalLm model;
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
  private final List<TrainingListener> listeners;
  private final NDManager manager;
  private final AdamW optimizer;
  private final StagedPass pass;
  private volatile boolean stopRequested;
  private Path lastCheckpoint;
  private final List<TrainingListener.Checkpoint> written = new ArrayList<>();

  /** Hook state is saved with the optimizer's tensors under {@code hook.<method id>.}. */
  static final String HOOK = "hook.";

  /**
   * What a run did.
   *
   * @param stopped whether it ended early, on {@link #requestStop()}
   * @param lastCheckpoint the newest checkpoint of the run (null when none was written)
   */
  public record Result(long steps, int skippedSteps, OptionalDouble evalLossBefore, OptionalDouble evalLossAfter,
      double lastLoss, Path lastCheckpoint, boolean stopped) {}

  /**
   * A trainer of {@code model}, whose methods are already applied, with the run's training settings: add its methods,
   * data and listeners, then {@link Builder#build()}.
   */
  public static Builder builder(CausalLm model, CoreSettings.Training settings, NDManager manager) {
    return new Builder(model, settings, manager);
  }

  /** What a trainer is made of besides the model and its settings. */
  public static final class Builder {
    private final CausalLm model;
    private final CoreSettings.Training settings;
    private final NDManager manager;
    private final Map<String, PeftMethod> methods = new LinkedHashMap<>();
    private final List<TrainingListener> listeners = new ArrayList<>();
    private TrainingData train;
    private TrainingData eval;

    private Builder(CausalLm model, CoreSettings.Training settings, NDManager manager) {
      this.model = model;
      this.settings = settings;
      this.manager = manager;
    }

    /** The run's methods by id, in the order they were chosen (the ids name their state in checkpoints). */
    public Builder methods(Map<String, ? extends PeftMethod> byId) {
      methods.putAll(byId);
      return this;
    }

    /** Methods named by their class, for tests and programs that create methods themselves. */
    public Builder methods(List<? extends PeftMethod> list) {
      for (PeftMethod method : list) {
        String name = method.getClass().getSimpleName();
        methods.put(methods.containsKey(name) ? name + "-" + methods.size() : name, method);
      }
      return this;
    }

    public Builder train(TrainingData data) {
      this.train = data;
      return this;
    }

    /** Held-out data to evaluate on (none by default). */
    public Builder eval(TrainingData data) {
      this.eval = data;
      return this;
    }

    /** Listeners are called in the order they are added. */
    public Builder listener(TrainingListener listener) {
      listeners.add(java.util.Objects.requireNonNull(listener, "listener is null"));
      return this;
    }

    public Trainer build() {
      if (train == null) {
        throw new IllegalStateException("a trainer needs training data: call train(...) before build()");
      }
      return new Trainer(this);
    }
  }

  private Trainer(Builder builder) {
    this.model = builder.model;
    this.view = new ModuleModelView(model);
    this.methods = List.copyOf(builder.methods.values());
    Map<String, OptimizerHook> optimizerHooks = new LinkedHashMap<>();
    builder.methods.forEach((id, method) -> {
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
    this.train = builder.train;
    this.eval = builder.eval;
    this.settings = builder.settings;
    this.listeners = List.copyOf(builder.listeners);
    this.manager = builder.manager;
    this.optimizer = new AdamW(settings.adamBeta1(), settings.adamBeta2(), settings.adamEpsilon(), manager);
    this.pass = new StagedPass(manager.getEngine(), settings.gradientCheckpointing(), model.config().vocabSize(),
        CausalLmLoss.headValues(model.precision()), CausalLmLoss.chunkValues(model.precision()));
    if (layerwise() && settings.gradientAccumulationSteps() > 1) {
      throw new TrainingException("a method steps parameters during the backward pass (layer-wise), so gradients "
          + "cannot accumulate: set training.gradient-accumulation-steps = 1");
    }
  }

  /**
   * Asks the run to stop cleanly after the step in progress, from any thread; see {@link StepEvent#requestStop()}.
   */
  public void requestStop() {
    stopRequested = true;
  }

  /** Whether a hook asks for parameters to be stepped during the backward pass, stage by stage. */
  private boolean layerwise() {
    return hooks.values().stream().anyMatch(OptimizerHook::stepsDuringBackward);
  }

  /** Optimizer steps of the whole run. */
  public long totalSteps() {
    long microBatches = (long) settings.epochs() * train.batchesPerEpoch();
    long steps = (microBatches + settings.gradientAccumulationSteps() - 1) / settings.gradientAccumulationSteps();
    return settings.maxSteps() >= 0 ? Math.min(steps, settings.maxSteps()) : steps;
  }

  /**
   * Trains from the start, or from {@code resume} when given, on the calling thread. Gradient tracking is off outside
   * the passes that collect gradients: libtorch keeps that mode per thread and turns it on for a new one (DJL turns it
   * off only on the thread that started the engine), so a run on a thread of its own sets it and restores it after.
   */
  public Result run(Checkpoints.Saved resume) {
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      return runWithoutTracking(resume);
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  private Result runWithoutTracking(Checkpoints.Saved resume) {
    long total = totalSteps();
    LearningRateSchedule schedule = new LearningRateSchedule(settings.learningRate(), settings.warmupStepsOf(total), total,
        settings.lrScheduler());
    long step = 0;
    int skipped = 0;
    if (resume != null) {
      restore(resume);
      step = resume.state().step();
      skipped = resume.state().skippedSteps();
      lastCheckpoint = resume.folder();
    }
    for (TrainingListener listener : listeners) {
      listener.onBegin(step, total);
    }
    if (resume != null) {
      notice("resuming from " + resume.folder() + " at step " + step + "/" + total);
    }
    OptionalDouble before = evaluate(step);
    setTraining(true);
    double lastLoss = Double.NaN;
    long started = System.nanoTime();
    long tokens = 0;
    GradientWatch gradients = new GradientWatch();
    StepEvent event = event(step, total, false, lastLoss, schedule.at(Math.max(0, step - 1)), Double.NaN, 0, skipped);
    while (step < total && !stopRequested) {
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
        notice("step " + (step + 1) + ": " + outcome.what() + " is not finite; step skipped (" + skipped + " so far)");
      } else {
        lastLoss = outcome.loss();
        requireFiniteWeights(step + 1);
      }
      step++;
      gradients.observe(step, outcome.finite() ? outcome.gradNorm() : Double.NaN).ifPresent(this::notice);
      tokens += outcome.tokens();
      double seconds = (System.nanoTime() - started) / 1e9;
      event = event(step, total, outcome.finite(), lastLoss, schedule.at(step - 1), outcome.gradNorm(),
          tokens / Math.max(seconds, 1e-9), skipped);
      for (TrainingListener listener : listeners) {
        listener.onStep(event);
      }
      announceCheckpoints();
      if (settings.evalSteps() > 0 && step % settings.evalSteps() == 0 && step < total && !stopRequested) {
        evaluate(step);
        setTraining(true);
      }
    }
    OptionalDouble after = evaluate(step);
    for (TrainingListener listener : listeners) {
      listener.onEnd(event);
    }
    announceCheckpoints();
    return new Result(step, skipped, before, after, lastLoss, lastCheckpoint, step < total);
  }

  private StepEvent event(long step, long total, boolean finite, double loss, double learningRate, double gradNorm,
      double tokensPerSecond, int skipped) {
    boolean logged = step % settings.loggingSteps() == 0 || step == total;
    return new StepEvent(step, total, finite, loss, learningRate, gradNorm, tokensPerSecond, skipped, logged,
        () -> snapshot(step, total, skipped), this::requestStop,
        folder -> written.add(new TrainingListener.Checkpoint(step, folder)));
  }

  /** Tells every listener of the checkpoints written since it was last told. */
  private void announceCheckpoints() {
    while (!written.isEmpty()) {
      TrainingListener.Checkpoint checkpoint = written.remove(0);
      lastCheckpoint = checkpoint.folder();
      for (TrainingListener listener : listeners) {
        listener.onCheckpoint(checkpoint);
      }
    }
  }

  private void notice(String text) {
    for (TrainingListener listener : listeners) {
      listener.onNotice(text);
    }
  }

  /**
   * A finite loss and gradient can still step the weights to infinity (a learning rate of 3e38): that cannot be
   * skipped, since the step is done, so the run stops whatever on-nonfinite says.
   */
  private void requireFiniteWeights(long step) {
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

  /** Mean loss over every counted token of the eval data, told to the listeners; empty without eval data. */
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
    TrainingListener.Evaluation evaluation = new TrainingListener.Evaluation(step, loss);
    for (TrainingListener listener : listeners) {
      listener.onEvaluation(evaluation);
    }
    return OptionalDouble.of(loss);
  }

  /** The run's state after {@code step} steps, as {@link CheckpointWriter} saves it. */
  private StepEvent.Snapshot snapshot(long step, long total, int skipped) {
    Map<String, NDArray> weights = new LinkedHashMap<>();
    tuned.forEach((name, p) -> weights.put(name, p.data()));
    Map<String, NDArray> optimizerTensors = new LinkedHashMap<>(optimizer.stateTensors());
    hooks.forEach((id, hook) -> hook.optimizerState().forEach((key, array) -> optimizerTensors.put(HOOK + id + "." + key, array)));
    TrainerState state = new TrainerState(step, total, settings.seed(), skipped, optimizer.stepCounts(), train.fingerprint(),
        List.copyOf(hooks.keySet()));
    return new StepEvent.Snapshot(state, weights, optimizerTensors);
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

  public CausalLm model() {
    return model;
  }
}
