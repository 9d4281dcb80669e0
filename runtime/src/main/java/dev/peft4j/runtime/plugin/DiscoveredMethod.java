package dev.peft4j.runtime.plugin;

import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodFactory;
import java.util.Objects;

/**
 * A method found by discovery.
 *
 * @param source the jar (or classes folder) the method came from, as shown to users
 * @param builtIn whether it came from the host's classpath rather than a plugin folder
 */
public record DiscoveredMethod(MethodDescriptor descriptor, MethodFactory<?> factory, String source, boolean builtIn) {
  public DiscoveredMethod {
    Objects.requireNonNull(descriptor, "descriptor is null");
    Objects.requireNonNull(factory, "factory is null");
    Objects.requireNonNull(source, "source is null");
  }

  public String id() {
    return descriptor.id();
  }
}
