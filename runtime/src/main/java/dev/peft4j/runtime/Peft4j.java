package dev.peft4j.runtime;

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
import dev.peft4j.runtime.inject.Peft4jModule;
import dev.peft4j.runtime.plugin.DiscoveredMethod;
import dev.peft4j.runtime.plugin.Discovery;
import dev.peft4j.runtime.plan.Planner;
import dev.peft4j.runtime.plan.RunPlan;
import dev.peft4j.runtime.plugin.PluginDiscovery;
import dev.peft4j.runtime.run.RunValidator;
import dev.peft4j.runtime.run.ValidationReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * peft4j as a library: discovers the methods, then validates and plans runs.
 *
 * <pre>{@code
 * Peft4j peft4j = Peft4j.builder().pluginFolder(Path.of("plugins")).build();
 * ValidationReport report = peft4j.validate(Path.of("run.conf"), List.of("lora.rank=16"));
 * RunPlan plan = peft4j.plan(Path.of("run.conf"), List.of());   // counts and memory, no weights loaded
 * }</pre>
 */
public final class Peft4j {

  private final Discovery discovery;
  private final Properties systemProperties;
  /**
   * Made on first use: starting Guice costs about a second of CPU (its classes and Guava's), which
   * {@code validate} and {@code plan} — meant to answer at once — do not need.
   */
  private Injector injector;

  private Peft4j(Discovery discovery, Properties systemProperties) {
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
