package dev.peft4j.runtime.plugin;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import dev.peft4j.api.ApiVersion;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodProvider;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds methods: {@link MethodProvider}s on the host's classpath (the built-in methods and any jar
 * put there), then in plugin folders, where each {@code *.jar} — or each sub-folder of jars — gets
 * a {@link PluginClassLoader} of its own.
 *
 * <p>Failures are isolated: a provider that throws, a jar that cannot be read, or a plugin built for
 * an incompatible API is refused with a reason and the others keep working. A method id provided
 * twice is a conflict that stops every run, naming both sources.
 */
public final class PluginDiscovery {

  private static final Logger LOG = LoggerFactory.getLogger(PluginDiscovery.class);

  private final ClassLoader host;
  private final Map<String, DiscoveredMethod> methods = new LinkedHashMap<>();
  private final List<String> refused = new ArrayList<>();
  private final List<String> conflicts = new ArrayList<>();
  private Config reference;

  private PluginDiscovery(ClassLoader host) {
    this.host = host;
  }

  /** Discovers the methods on {@code host}'s classpath and in {@code pluginFolders}. */
  public static Discovery discover(ClassLoader host, List<Path> pluginFolders) {
    PluginDiscovery discovery = new PluginDiscovery(host);
    discovery.reference = ConfigFactory.defaultReference(host);
    discovery.load(ServiceLoader.load(MethodProvider.class, host), null);
    for (Path folder : pluginFolders) {
      discovery.scanFolder(folder);
    }
    discovery.requireDefaults();
    return new Discovery(discovery.methods, discovery.reference, discovery.refused, discovery.conflicts);
  }

  private void scanFolder(Path folder) {
    if (!Files.isDirectory(folder)) {
      refused.add("plugin folder " + folder + " does not exist or is not a folder: create it or remove it from the plugin folders");
      return;
    }
    List<Path> entries;
    try (Stream<Path> list = Files.list(folder)) {
      entries = list.filter(p -> Files.isDirectory(p) || p.toString().endsWith(".jar")).sorted().toList();
    } catch (IOException e) {
      refused.add("plugin folder " + folder + " cannot be read: " + e.getMessage());
      return;
    }
    for (Path entry : entries) {
      try {
        List<Path> jars = Files.isDirectory(entry) ? jarsIn(entry) : List.of(entry);
        if (jars.isEmpty()) {
          continue;
        }
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) {
          urls[i] = jars.get(i).toUri().toURL();
        }
        PluginClassLoader loader = new PluginClassLoader("peft4j-plugin:" + entry.getFileName(), urls, host);
        load(ServiceLoader.load(MethodProvider.class, loader), new PluginSource(entry, loader));
      } catch (IOException e) {
        refused.add("plugin " + entry + " cannot be read: " + e.getMessage());
      }
    }
  }

  private static List<Path> jarsIn(Path folder) throws IOException {
    try (Stream<Path> list = Files.list(folder)) {
      return list.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
    }
  }

  /** A plugin folder entry; {@code null} for the host classpath. */
  private record PluginSource(Path path, PluginClassLoader loader) {}

  private void load(ServiceLoader<MethodProvider> services, PluginSource plugin) {
    Iterator<ServiceLoader.Provider<MethodProvider>> providers = services.stream().iterator();
    while (true) {
      ServiceLoader.Provider<MethodProvider> provider;
      try {
        if (!providers.hasNext()) {
          break;
        }
        provider = providers.next();
      } catch (ServiceConfigurationError e) {
        refused.add((plugin == null ? "the classpath" : "plugin " + plugin.path()) + ": its service registration is broken: " + e.getMessage());
        continue;
      }
      String source = plugin == null ? sourceOf(provider.type()) : plugin.path().toString();
      try {
        loadProvider(provider.get(), source, plugin);
      } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
        refused.add("plugin " + provider.type().getName() + " (" + source + ") failed and was skipped: " + describe(e));
      }
    }
  }

  private void loadProvider(MethodProvider provider, String source, PluginSource plugin) {
    String name = provider.getClass().getName();
    String pluginApi = provider.apiVersion();
    boolean compatible;
    try {
      compatible = ApiVersion.isCompatible(pluginApi, ApiVersion.CURRENT);
    } catch (IllegalArgumentException e) {
      refused.add("plugin " + name + " (" + source + ") states an invalid API version: " + e.getMessage());
      return;
    }
    if (!compatible) {
      refused.add("plugin " + name + " (" + source + ") was built for peft4j API " + pluginApi
          + ", but this runtime provides API " + ApiVersion.CURRENT
          + ": rebuild the plugin against peft4j-api " + ApiVersion.CURRENT + " or use a matching runtime");
      return;
    }
    List<MethodDescriptor> descriptors = new ArrayList<>();
    List<MethodFactory<?>> factories = provider.methods();
    for (MethodFactory<?> factory : factories) {
      descriptors.add(factory.descriptor());
    }
    if (plugin != null) {
      Config pluginReference = pluginReference(plugin);
      String foreign = foreignKey(pluginReference, descriptors);
      if (foreign != null) {
        refused.add("plugin " + name + " (" + source + ") was refused: its reference.conf defines '" + foreign
            + "', but a plugin may only define the settings of its own methods, under peft4j."
            + descriptors.stream().map(MethodDescriptor::id).findFirst().orElse("<id>"));
        return;
      }
      reference = reference.withFallback(pluginReference);
    }
    for (int i = 0; i < factories.size(); i++) {
      MethodDescriptor descriptor = descriptors.get(i);
      DiscoveredMethod previous = methods.get(descriptor.id());
      if (previous != null) {
        conflicts.add("method id '" + descriptor.id() + "' is provided twice: by " + previous.source()
            + " and by " + source + ". Remove one of the two jars"
            + (previous.builtIn() && plugin != null ? " (a plugin may not claim the id of a built-in method)" : ""));
        continue;
      }
      methods.put(descriptor.id(), new DiscoveredMethod(descriptor, factories.get(i), source, plugin == null));
      LOG.info("found method {} {} ({}) in {}", descriptor.id(), descriptor.version(),
          String.join("+", descriptor.kinds().stream().map(k -> k.displayName()).sorted().toList()), source);
    }
  }

  /** A folder plugin's own reference.conf (its class loader shows no other). */
  private static Config pluginReference(PluginSource plugin) {
    try {
      return ConfigFactory.parseResources(plugin.loader(), "reference.conf", ConfigParseOptions.defaults());
    } catch (ConfigException e) {
      throw new IllegalStateException("its reference.conf cannot be read: " + e.getMessage(), e);
    }
  }

  /** The first key of a plugin's defaults outside {@code peft4j.<its ids>}, or null. */
  private static String foreignKey(Config pluginReference, List<MethodDescriptor> descriptors) {
    for (String key : pluginReference.root().keySet()) {
      if (!key.equals("peft4j")) {
        return key;
      }
    }
    if (!pluginReference.hasPath("peft4j")) {
      return null;
    }
    for (String key : pluginReference.getObject("peft4j").keySet()) {
      if (descriptors.stream().noneMatch(d -> d.id().equals(key))) {
        return "peft4j." + key;
      }
    }
    return null;
  }

  /** Every method must ship its defaults under {@code peft4j.<id>}; a method without them is refused. */
  private void requireDefaults() {
    methods.values().removeIf(method -> {
      if (reference.hasPath(method.descriptor().configPath())) {
        return false;
      }
      refused.add("method " + method.id() + " (" + method.source() + ") was refused: its jar ships no defaults under "
          + method.descriptor().configPath() + " — a method's reference.conf must define every setting, even as "
          + method.descriptor().configPath() + " {}");
      return true;
    });
  }

  /** The chain of causes, innermost last: "ExceptionInInitializerError, caused by IllegalStateException: broken". */
  static String describe(Throwable failure) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ServiceConfigurationError && t.getCause() != null) {
        continue;
      }
      text.append(text.length() == 0 ? "" : ", caused by ").append(t.getClass().getSimpleName());
      if (t.getMessage() != null) {
        text.append(": ").append(t.getMessage());
      }
    }
    return text.toString();
  }

  static String sourceOf(Class<?> type) {
    try {
      CodeSource code = type.getProtectionDomain().getCodeSource();
      if (code == null || code.getLocation() == null) {
        return "the classpath";
      }
      return Path.of(code.getLocation().toURI()).toString();
    } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
      return "the classpath";
    }
  }
}
