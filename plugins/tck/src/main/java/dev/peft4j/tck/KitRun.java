package dev.peft4j.tck;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.AdapterMethod;
import dev.peft4j.api.ParameterSelector;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.model.ParameterView;
import dev.peft4j.api.rules.Condition.RuntimeFact;
import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.config.RunConfig;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelFiles;
import dev.peft4j.runtime.model.ModuleModelView;
import dev.peft4j.runtime.nn.Tensors;
import dev.peft4j.runtime.rules.DefaultRunFacts;
import dev.peft4j.runtime.setup.MethodSetup;
import dev.peft4j.runtime.setup.RuntimeMethodContext;
import dev.peft4j.runtime.train.Trainer;
import dev.peft4j.runtime.validate.RunValidator;
import dev.peft4j.runtime.validate.ValidationReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * Runs as the runtime runs them: a run configuration validated by {@link Peft4j#validate(Config)}, the methods
 * created by {@link MethodSetup#create} and applied by {@link MethodSetup#apply} to the kit model loaded from its
 * folder, trained by the runtime's {@link Trainer}.
 */
final class KitRun {

  /** Training settings of every kit run: a constant learning rate large enough that one step moves what trains. */
  private static final String TRAINING = """
      training {
        learning-rate = 0.01, lr-scheduler = constant, warmup-steps = 0, batch-size = 2, epochs = 1,
        gradient-accumulation-steps = 1, save-steps = 1, logging-steps = 1000, seed = 7, max-grad-norm = 1.0
      }
      """;

  private final MethodUnderTest spec;
  private final Peft4j peft4j;
  private final Path model;
  private final Path work;
  private int runs;

  KitRun(MethodUnderTest spec, Peft4j peft4j, Path model, Path work) {
    this.spec = spec;
    this.peft4j = peft4j;
    this.model = model;
    this.work = work;
  }

  Peft4j peft4j() {
    return peft4j;
  }

  Path modelFolder() {
    return model;
  }

  /** The run's configuration: the kit model, the method (after its companions), the kit's training, the spec's settings, then {@code lines}. */
  Config config(List<String> lines) {
    StringBuilder text = new StringBuilder("peft4j {\n");
    text.append("model.path = ").append(ConfigFactory.parseMap(Map.of("p", model.toString())).root().get("p").render()).append('\n');
    text.append("methods = [").append(String.join(", ", spec.methods())).append("]\n");
    text.append(TRAINING);
    spec.settings().forEach(line -> text.append(line).append('\n'));
    lines.forEach(line -> text.append(line).append('\n'));
    text.append("}\n");
    return ConfigFactory.parseString(text.toString(),
        com.typesafe.config.ConfigParseOptions.defaults().setOriginDescription("kit run of " + spec.id()));
  }

  /**
   * Validates the kit's run as {@link Peft4j#validate(Config)} does, but as on a device without native bf16 (the
   * kit trains in fp32), so that the rules a run breaks, and with them the contract, are the same on every machine.
   */
  ValidationReport validate(String... lines) {
    Config user = config(List.of(lines));
    RunConfig run = new RunConfig(Optional.empty(), user, user.withFallback(peft4j.discovery().reference()).resolve());
    return new RunValidator(peft4j.discovery(), (Optional<ModelInfo> model) -> fact ->
        fact == RuntimeFact.DEVICE_SUPPORTS_BF16 ? Optional.of(false) : new DefaultRunFacts(model).get(fact)).validate(run);
  }

  /** Validates (it must be valid), creates and applies the methods to a freshly loaded kit model. */
  Session open(String... lines) {
    ValidationReport report = validate(lines);
    report.orThrow();
    Engine engine = Engine.getEngine("PyTorch");
    NDManager manager = engine.newBaseManager(engine.defaultDevice());
    try {
      MethodSetup.Created created = MethodSetup.create(report, peft4j.discovery(),
          new RuntimeMethodContext(manager, report.core().training().seed()));
      CausalLm loaded = ModelFiles.load(model, manager);
      ModuleModelView view = new ModuleModelView(loaded);
      if (report.core().model().quantization() == CoreSettings.Quantization.NF4) {
        view.quantizeNf4(manager);
      }
      return new Session(report, manager, created, loaded, view);
    } catch (RuntimeException | Error e) {
      manager.close();
      throw e;
    }
  }

  /** One run: the created methods and the model, on a manager of their own. Close it. */
  final class Session implements AutoCloseable {
    final ValidationReport report;
    final NDManager manager;
    final MethodSetup.Created created;
    final CausalLm model;
    final ModuleModelView view;

    Session(ValidationReport report, NDManager manager, MethodSetup.Created created, CausalLm model,
        ModuleModelView view) {
      this.report = report;
      this.manager = manager;
      this.created = created;
      this.model = model;
      this.view = view;
    }

    /** Applies the methods as a run does: everything frozen, adapters attach, selectors unfreeze. */
    Session apply() {
      MethodSetup.apply(created, view);
      return this;
    }

    PeftMethod method() {
      return created.methods().get(spec.methods().indexOf(spec.id()));
    }

    AdapterMethod adapter() {
      return (AdapterMethod) method();
    }

    boolean isAdapter() {
      return method() instanceof AdapterMethod;
    }

    boolean isSelector() {
      return method() instanceof ParameterSelector;
    }

    float[] logits() {
      created.methods().forEach(m -> m.setTraining(false));
      return KitModel.logits(model, manager);
    }

    Map<String, ParameterView> parameters() {
      return view.parameters().stream().collect(Collectors.toMap(ParameterView::name, p -> p, (a, b) -> a,
          LinkedHashMap::new));
    }

    List<String> trainable() {
      List<String> names = new ArrayList<>();
      view.parameters().forEach(p -> {
        if (p.trainable()) {
          names.add(p.name());
        }
      });
      return names;
    }

    /** Every parameter's values, by name. */
    Map<String, float[]> snapshot() {
      Map<String, float[]> values = new LinkedHashMap<>();
      view.parameters().forEach(p -> values.put(p.name(), values(p.data())));
      return values;
    }

    /**
     * Moves every trainable parameter by seeded noise (standard deviation 0.1), as training would, so that the
     * adapter's state is not its initial one.
     */
    void perturbTrainable() {
      long seed = KitModel.SEED;
      for (ParameterView parameter : view.parameters()) {
        seed++;
        if (!parameter.trainable()) {
          continue;
        }
        Random random = new Random(seed);
        float[] noise = new float[Math.toIntExact(parameter.data().getShape().size())];
        for (int i = 0; i < noise.length; i++) {
          noise[i] = (float) (random.nextGaussian() * 0.1);
        }
        try (NDScope scope = new NDScope()) {
          NDArray delta = Tensors.of(manager, noise, parameter.data().getShape());
          parameter.setTrainable(false);
          parameter.data().addi(delta);
          parameter.setTrainable(true);
        }
      }
    }

    /** The values of an array as floats; a 4-bit weight's packed bytes one by one. */
    private static float[] values(NDArray array) {
      if (array.getDataType() == ai.djl.ndarray.types.DataType.FLOAT32) {
        return array.toFloatArray();
      }
      byte[] bytes = array.toByteArray();
      float[] values = new float[bytes.length];
      for (int i = 0; i < bytes.length; i++) {
        values[i] = bytes[i];
      }
      return values;
    }

    /** Trains {@code steps} optimizer steps with the runtime's trainer; {@code probe} sees the run after each. */
    Trainer.Result train(int steps, StepProbe.Listener probe) {
      CoreSettings.Training base = report.core().training();
      CoreSettings.Training training = new CoreSettings.Training(base.learningRate(), 1, base.batchSize(),
          base.gradientAccumulationSteps(), base.lrScheduler(), base.warmupSteps(), base.weightDecay(),
          base.maxGradNorm(), base.seed(), base.precision(), base.gradientCheckpointing(), base.devices(), steps,
          base.loggingSteps(), 0, 1,
          base.onNonFinite(), base.adamBeta1(), base.adamBeta2(), base.adamEpsilon(), base.threads());
      return Trainer.builder(model, training, manager).methods(created.byId()).train(new SyntheticData(steps))
          .listener(new StepProbe(probe)).build().run(null);
    }

    @Override
    public void close() {
      try {
        created.methods().forEach(PeftMethod::close);
      } finally {
        manager.close();
      }
    }
  }
}
