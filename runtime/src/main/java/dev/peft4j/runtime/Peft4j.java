package dev.peft4j.runtime;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.Stage;
import com.google.inject.TypeLiteral;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.PluginException;
import dev.peft4j.api.config.ConfigurationException;
import dev.peft4j.runtime.config.RunConfig;
import dev.peft4j.runtime.config.RunConfigLoader;
import dev.peft4j.runtime.config.llamafactory.LlamaFactoryRun;
import dev.peft4j.runtime.inject.Peft4jModule;
import dev.peft4j.runtime.model.ModelFiles;
import dev.peft4j.runtime.model.ModelInit;
import dev.peft4j.runtime.model.ModelSizes;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.plan.Planner;
import dev.peft4j.runtime.plan.RunPlan;
import dev.peft4j.runtime.plugin.DiscoveredMethod;
import dev.peft4j.runtime.plugin.Discovery;
import dev.peft4j.runtime.plugin.PluginDiscovery;
import dev.peft4j.runtime.validate.RunValidator;
import dev.peft4j.runtime.validate.ValidationReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import org.apiguardian.api.API;

/**
 * peft4j as a library, as stable as its command line: discovers the methods, then validates, plans and trains runs,
 * and loads models to generate with, evaluate, merge, or apply methods to and save their adapter.
 *
 * <pre>{@code
 * Peft4j peft4j = Peft4j.builder().pluginFolder(Path.of("plugins")).build();
 * ValidationReport report = peft4j.validate(Path.of("run.conf"), List.of("lora.rank=16"));
 * RunPlan plan = peft4j.plan(Path.of("run.conf"), List.of());   // counts and memory, no weights loaded
 * TrainingRun.Outcome trained = peft4j.training(report).run();   // what `peft4j train run.conf` does
 * try (LoadedModel model = peft4j.loadModel(Path.of("model"), Optional.of(trained.model()))) {
 *   System.out.println(model.generate("What is 2 + 3?", Generator.Sampling.greedy(16)));
 * }
 * }</pre>
 *
 * <p>Examples that build and run: {@code examples/library/}.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class Peft4j {

  private final Discovery discovery;
  private final Properties systemProperties;
  /**
   * Made on first use: starting Guice costs about a second of CPU (its classes and Guava's), which
   * {@code validate} and {@code plan} — meant to answer at once — do not need.
   */
  private Injector injector;

  private Peft4j(Discovery discovery, Properties systemProperties) {
    dev.peft4j.runtime.nn.NativeMemory.keepFreedMemory(); // before the first arrays
    this.discovery = discovery;
    this.systemProperties = systemProperties;
  }

  private synchronized Injector injector() {
    if (injector == null) {
      injector = Guice.createInjector(Stage.PRODUCTION, new Peft4jModule(discovery));
    }
    return injector;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Discovery discovery() {
    return discovery;
  }

  /** The usable methods by id, as the injector holds them. */
  public Map<String, DiscoveredMethod> methods() {
    return injector().getInstance(Key.get(new TypeLiteral<Map<String, DiscoveredMethod>>() {}));
  }

  /** Loads and checks a run file with {@code key=value} overrides; see {@link ValidationReport#orThrow()}. */
  public ValidationReport validate(Path runFile, List<String> overrides) {
    return validate(load(Optional.of(runFile), overrides));
  }

  /** Checks a run given as configuration alone (keys with or without the {@code peft4j.} prefix). */
  public ValidationReport validate(Config settings) {
    Config user = settings.root().containsKey("peft4j") ? settings : settings.root().atKey("peft4j");
    Config reference = discovery().reference();
    return validate(new RunConfig(Optional.empty(), user, user.withFallback(reference).resolve()));
  }

  /**
   * Plans a run file with {@code key=value} overrides from the model's config.json alone (no weights
   * are loaded): PEFT's trainable-parameter counts, the peak memory estimate and the rule check. A run
   * that breaks rules between methods is still planned; see {@link RunPlan#validation()}.
   *
   * @throws ConfigurationException when the settings themselves are wrong (nothing can be planned)
   * @throws dev.peft4j.runtime.model.ModelConfigException when config.json lacks a size the plan needs
   */
  public RunPlan plan(Path runFile, List<String> overrides) {
    return plan(validate(runFile, overrides));
  }

  /** Plans a run given as configuration alone (keys with or without the {@code peft4j.} prefix). */
  public RunPlan plan(Config settings) {
    return plan(validate(settings));
  }

  /**
   * A run to train from a validated configuration ({@link #validate}); {@link TrainingRun#run()} trains it.
   *
   * @throws ConfigurationException when the report has problems or broken rules
   */
  public TrainingRun training(ValidationReport report) {
    return new TrainingRun(report, discovery);
  }

  /** Loads a Hugging Face model folder, computed in fp32, with its tokenizer; the caller closes it. */
  public LoadedModel loadModel(Path folder) {
    return loadModel(folder, Optional.empty());
  }

  /**
   * Loads a Hugging Face model folder with a saved adapter (PEFT's layout, of any installed adapter method) attached;
   * the caller closes it.
   */
  public LoadedModel loadModel(Path folder, Optional<Path> adapter) {
    return LoadedModel.load(this, folder, adapter, Precision.FP32, true);
  }

  /**
   * Folds the adapter in {@code adapter} into the model in {@code model} and writes the merged model to {@code out}
   * as a Hugging Face folder in the base's dtype ({@code peft4j merge}). A bf16 base is merged in bf16, rounding as
   * PEFT's merge does.
   */
  public Path merge(Path model, Path adapter, Path out) {
    Precision precision = "BF16".equals(ModelFiles.weightsDtype(model)) ? Precision.BF16 : Precision.FP32;
    try (LoadedModel loaded = LoadedModel.load(this, model, Optional.of(adapter), precision, false)) {
      return loaded.merge(out);
    }
  }

  /**
   * Writes a randomly initialised model of a named size ({@code tiny} or {@code small}) with a character tokenizer to
   * {@code folder}, which must not exist ({@code peft4j init-model}): a model to try peft4j on without a download.
   *
   * @throws IllegalArgumentException when {@code size} is not a named size
   */
  public Path initModel(Path folder, String size, long seed) {
    ModelSizes named = java.util.Arrays.stream(ModelSizes.values()).filter(s -> s.displayName().equals(size))
        .findFirst().orElseThrow(() -> new IllegalArgumentException("unknown model size '" + size + "': one of "
            + java.util.Arrays.stream(ModelSizes.values()).map(ModelSizes::displayName).toList()));
    ModelInit.write(folder, Optional.of(named), Optional.empty(), seed);
    return folder;
  }

  private RunPlan plan(ValidationReport report) {
    if (!report.problems().isEmpty()) {
      throw new ConfigurationException(report.problems(), report.errors());
    }
    return Planner.plan(report, discovery());
  }

  private ValidationReport validate(RunConfig run) {
    // The validator needs nothing but the discovery (as Peft4jModule binds it), so no injector is made for it.
    return new RunValidator(discovery).validate(run);
  }

  private RunConfig load(Optional<Path> runFile, List<String> overrides) {
    return RunConfigLoader.load(runFile, overrides, systemProperties, discovery().reference());
  }

  /**
   * The plugin folders a run file names in {@code peft4j.plugin-dirs}, resolved against the file's
   * folder; read before discovery, since the plugins' defaults are needed for everything else.
   */
  public static List<Path> pluginFoldersOf(Path runFile) {
    if (LlamaFactoryRun.isYaml(runFile)) {
      return List.of(); // LLaMA-Factory's files name no plugins
    }
    RunConfig raw = RunConfigLoader.load(Optional.of(runFile), List.of(), new Properties(),
        ConfigFactory.parseString("peft4j.plugin-dirs = []"));
    if (!raw.merged().hasPath("peft4j.plugin-dirs")) {
      return List.of();
    }
    dev.peft4j.api.config.SettingsReader reader = new dev.peft4j.api.config.SettingsReader(raw.merged(), "peft4j");
    List<Path> folders = reader.strings("plugin-dirs").stream()
        .map(dir -> dev.peft4j.runtime.config.CoreSettings.resolve(reader, "plugin-dirs", dir)).toList();
    if (!reader.problems().isEmpty()) {
      throw new ConfigurationException(reader.problems());
    }
    return folders;
  }

  /** Collects where plugins are, then discovers them once. */
  public static final class Builder {
    private final List<Path> pluginFolders = new ArrayList<>();
    private ClassLoader classLoader = Peft4j.class.getClassLoader();
    private Properties systemProperties = System.getProperties();

    public Builder pluginFolder(Path folder) {
      pluginFolders.add(Objects.requireNonNull(folder, "folder is null"));
      return this;
    }

    public Builder pluginFolders(List<Path> folders) {
      folders.forEach(this::pluginFolder);
      return this;
    }

    /** The class loader whose classpath holds the built-in methods (default: peft4j's own). */
    public Builder classLoader(ClassLoader loader) {
      this.classLoader = Objects.requireNonNull(loader, "loader is null");
      return this;
    }

    /** Where {@code -Dpeft4j.*} overrides come from (default: the JVM's system properties). */
    public Builder systemProperties(Properties properties) {
      this.systemProperties = Objects.requireNonNull(properties, "properties is null");
      return this;
    }

    /** @throws PluginException when a method id is provided twice */
    public Peft4j build() {
      Discovery discovery = PluginDiscovery.discover(classLoader, pluginFolders);
      if (!discovery.conflicts().isEmpty()) {
        throw new PluginException(String.join(System.lineSeparator(), discovery.conflicts()));
      }
      return new Peft4j(discovery, systemProperties);
    }
  }
}
