package dev.peft4j.runtime.setup;

import ai.djl.ndarray.NDManager;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.peft4j.api.AdapterMethod;
import dev.peft4j.api.AdapterState;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.Peft4jException;
import dev.peft4j.api.UnsupportedFeatureException;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.runtime.io.AdapterFiles;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModuleModelView;
import dev.peft4j.runtime.plugin.DiscoveredMethod;
import dev.peft4j.runtime.plugin.Discovery;
import dev.peft4j.runtime.train.FiniteWeights;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Attaches a saved adapter to a model, its settings taken from the folder's {@code adapter_config.json} (for
 * {@code generate}, {@code evaluate} and {@code merge}, which have no run file). Every discovered adapter method
 * is asked whether it wrote the config ({@link MethodFactory#settingsOfAdapter}); the one that claims it is
 * created with the settings it names, applied and loaded.
 */
public final class Adapters {

  private Adapters() {}

  /** The adapter method that claims a config, and the settings it reads from it. */
  private record Claim(DiscoveredMethod method, Map<String, Object> settings) {}

  /** Reads {@code folder}, creates its method, attaches it to {@code model} and loads its weights. */
  public static AdapterMethod attach(Path folder, CausalLm model, Discovery discovery, NDManager manager) {
    AdapterState state = AdapterFiles.read(folder, manager);
    Path file = folder.resolve(AdapterFiles.CONFIG);
    Claim claim = claim(file, state.config(), discovery);

    String block = claim.method().descriptor().configPath();
    Config config = ConfigFactory.empty();
    for (Map.Entry<String, Object> entry : claim.settings().entrySet()) {
      config = config.withValue(block + "." + entry.getKey(),
          ConfigValueFactory.fromAnyRef(entry.getValue(), file.toString()));
    }
    SettingsReader reader = new SettingsReader(config.withFallback(discovery.reference()).resolve(), block);
    ModuleModelView view = new ModuleModelView(model);
    Object settings = readAndCheck(claim.method().factory(), reader, view.info());
    reader.throwIfProblems();

    AdapterMethod adapter = (AdapterMethod) MethodSetup.create(claim.method(), settings,
        new RuntimeMethodContext(manager, 0));
    try {
      MethodSetup.apply(new MethodSetup.Created(List.of(claim.method()), List.of(adapter)), view);
      load(adapter, state, folder);
      adapter.setTraining(false);
      return adapter;
    } catch (RuntimeException e) {
      adapter.close();
      throw e;
    }
  }

  /**
   * Loads a saved adapter into {@code adapter}, strictly: its weights must be finite, and every tensor of its file
   * must be one the adapter uses (a method that does not save {@code modules_to_save} leaves those over); a tensor left over means the config and the weights do not belong together, and dropping it would give
   * another model than the one trained.
   *
   * @param folder the adapter's folder, for messages
   */
  public static void load(AdapterMethod adapter, AdapterState state, Path folder) {
    Path config = folder.resolve(AdapterFiles.CONFIG);
    List<String> nonFinite = FiniteWeights.nonFinite(state.tensors());
    if (!nonFinite.isEmpty()) {
      throw new Peft4jException(folder.resolve(AdapterFiles.WEIGHTS) + ": the adapter's weights are not finite (NaN or "
          + "infinity in " + FiniteWeights.describe(nonFinite) + "): it cannot be used. Train it again with a lower "
          + "learning rate, or use an earlier checkpoint of it");
    }
    adapter.load(state);
    java.util.Set<String> used = adapter.state().tensors().keySet();
    List<String> unused = state.tensors().keySet().stream().filter(name -> !used.contains(name)).toList();
    if (!unused.isEmpty()) {
      throw new Peft4jException(folder.resolve(AdapterFiles.WEIGHTS) + " holds tensors that " + config + " does not "
          + "describe: " + dev.peft4j.runtime.Names.firstFew(unused, 5, ", ") + " (" + unused.size() + " of " + state.tensors().size()
          + "). The config and the weights do not belong together: fix target_modules (and layers_to_transform, "
          + "rank_pattern) in the config to what the weights hold, or save the adapter again");
    }
  }

  /**
   * A run that trains a saved adapter further ({@code model.adapter-path}) must set what its config says (rank,
   * alpha, rsLoRA, DoRA, bias, init, and lists such as the targets or the modules to save, in any order): the weights
   * mean another model under other settings, and the shapes alone do not show it (alpha changes the scaling). Maps
   * (patterns), and a list the run writes otherwise (all-linear, a regex), are left to the shape check of {@link
   * #load}.
   *
   * @throws Peft4jException naming each setting that differs, the adapter's value and what to set
   */
  public static void requireRunMatches(Path folder, Map<String, Object> adapterConfig, Config run, Discovery discovery) {
    Path file = folder.resolve(AdapterFiles.CONFIG);
    Claim claim = claim(file, adapterConfig, discovery);
    String block = claim.method().descriptor().configPath();
    List<String> differing = new ArrayList<>();
    claim.settings().forEach((key, saved) -> {
      String path = block + "." + key;
      if (saved instanceof Map<?, ?> || !run.hasPath(path)) {
        return;
      }
      Object ours = run.getValue(path).unwrapped();
      if (saved instanceof java.util.Collection<?> && !(ours instanceof java.util.Collection<?>)) {
        return; // a target written as all-linear or a regex, saved as the modules it matched: the shapes decide
      }
      boolean same = saved instanceof java.util.Collection<?> theirs && ours instanceof java.util.Collection<?> list
          ? names(theirs).equals(names(list))
          : saved instanceof Number a && ours instanceof Number b
          ? a.doubleValue() == b.doubleValue() : String.valueOf(saved).equalsIgnoreCase(String.valueOf(ours));
      if (!same) {
        differing.add(path + " = " + ours + " where the adapter has " + saved);
      }
    });
    if (!differing.isEmpty()) {
      throw new Peft4jException(file + " does not describe the adapter this run would train: " + String.join("; ",
          differing) + ". Set those as adapter_config.json says (model.adapter-path trains that adapter further)");
    }
  }

  private static java.util.Set<String> names(java.util.Collection<?> values) {
    java.util.Set<String> names = new java.util.TreeSet<>();
    values.forEach(v -> names.add(String.valueOf(v)));
    return names;
  }

  /** The one adapter method that claims the config; a clear error when none or several do. */
  private static Claim claim(Path file, Map<String, Object> adapterConfig, Discovery discovery) {
    List<String> adapters = new ArrayList<>();
    List<Claim> claims = new ArrayList<>();
    for (DiscoveredMethod method : discovery.methods().values()) {
      if (!method.descriptor().is(MethodKind.ADAPTER)) {
        continue;
      }
      adapters.add(method.id());
      try {
        method.factory().settingsOfAdapter(adapterConfig).ifPresent(settings -> claims.add(new Claim(method, settings)));
      } catch (UnsupportedFeatureException e) {
        throw new UnsupportedFeatureException(file + ": " + e.getMessage());
      }
    }
    Object type = adapterConfig.get("peft_type");
    if (claims.isEmpty()) {
      throw new Peft4jException(file + ": " + (type == null ? "has no peft_type, and no" : "peft_type " + type + ": no")
          + " installed method reads this adapter; the adapter methods installed are "
          + (adapters.isEmpty() ? "none" : String.join(", ", adapters)) + ". Install the plugin of the method that "
          + "wrote it (--plugins DIR or PEFT4J_PLUGINS), or give the folder of an adapter one of these wrote");
    }
    if (claims.size() > 1) {
      throw new Peft4jException(file + ": methods " + claims.stream().map(c -> c.method().id() + " ("
          + c.method().source() + ")").toList() + " all claim this adapter (peft_type " + type + "): install only one "
          + "of them");
    }
    return claims.get(0);
  }

  private static <S> Object readAndCheck(MethodFactory<S> factory, SettingsReader reader, ModelInfo model) {
    S settings = factory.readSettings(reader);
    if (reader.problems().isEmpty()) {
      factory.check(settings, model, reader);
    }
    return settings;
  }
}
