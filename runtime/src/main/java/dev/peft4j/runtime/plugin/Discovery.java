package dev.peft4j.runtime.plugin;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Map;

/**
 * What plugin discovery found.
 *
 * @param methods every usable method by id, in discovery order (classpath first, then plugin folders)
 * @param reference the defaults of the runtime and of every usable method, merged
 * @param refused plugins that were refused or failed, each with the reason; the others keep working
 * @param conflicts fatal problems (a method id provided twice): no run may start while there is one
 */
public record Discovery(Map<String, DiscoveredMethod> methods, Config reference, List<String> refused, List<String> conflicts) {
  public Discovery {
    methods = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(methods));
    refused = List.copyOf(refused);
    conflicts = List.copyOf(conflicts);
  }
}
