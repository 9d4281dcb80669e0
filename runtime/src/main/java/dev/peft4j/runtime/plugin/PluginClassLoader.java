package dev.peft4j.runtime.plugin;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Enumeration;
import java.util.List;
import java.util.Objects;

/**
 * The class loader of one plugin: it sees the plugin's own jars, the JDK, and from the host only
 * the packages of the API (peft4j's api, DJL, Typesafe Config, SLF4J, apiguardian). The runtime's
 * classes and its libraries (Guice, picocli, Gson, …) stay invisible, so a plugin cannot come to
 * depend on them and may bundle other versions of them.
 */
final class PluginClassLoader extends URLClassLoader {

  /** Packages the host shares with plugins: the API and what the API's signatures use. */
  static final List<String> SHARED_PACKAGES = List.of(
      "dev.peft4j.api.", "ai.djl.", "com.typesafe.config.", "org.slf4j.", "org.apiguardian.");

  static {
    ClassLoader.registerAsParallelCapable();
  }

  private final ClassLoader host;

  PluginClassLoader(String name, URL[] urls, ClassLoader host) {
    super(name, urls, ClassLoader.getPlatformClassLoader());
    this.host = Objects.requireNonNull(host, "host is null");
  }

  @Override
  protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
    if (isShared(name)) {
      return host.loadClass(name);
    }
    return super.loadClass(name, resolve);
  }

  /** Resources come from the plugin's own jars only (its reference.conf, its services file). */
  @Override
  public URL getResource(String name) {
    URL own = findResource(name);
    return own != null ? own : getParent().getResource(name);
  }

  @Override
  public Enumeration<URL> getResources(String name) throws IOException {
    return findResources(name);
  }

  static boolean isShared(String className) {
    for (String prefix : SHARED_PACKAGES) {
      if (className.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }
}
