package dev.peft4j.runtime.inject;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.MapBinder;
import dev.peft4j.runtime.plugin.DiscoveredMethod;
import dev.peft4j.runtime.plugin.Discovery;
import dev.peft4j.runtime.validate.RunValidator;
import java.util.Objects;

/**
 * Wires the runtime around what discovery found. Discovery (which reads jars) happens before the
 * injector is made, so that this module stays fast and free of I/O.
 */
public final class Peft4jModule extends AbstractModule {

  private final Discovery discovery;

  public Peft4jModule(Discovery discovery) {
    this.discovery = Objects.requireNonNull(discovery, "discovery is null");
  }

  @Override
  protected void configure() {
    bind(Discovery.class).toInstance(discovery);
    MapBinder<String, DiscoveredMethod> methods = MapBinder.newMapBinder(binder(), String.class, DiscoveredMethod.class);
    discovery.methods().forEach((id, method) -> methods.addBinding(id).toInstance(method));
    bind(RunValidator.class);
  }
}
