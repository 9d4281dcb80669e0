package dev.peft4j.runtime.rules;

import dev.peft4j.api.MethodDescriptor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The methods a run chose, with where each was chosen.
 *
 * @param descriptors in the order of {@code methods}
 * @param origins where each id was written ({@code run.conf:3})
 * @param listOrigin where the {@code methods} list itself was set
 */
public record ChosenMethods(List<MethodDescriptor> descriptors, Map<String, String> origins, String listOrigin) {
  public ChosenMethods {
    descriptors = List.copyOf(descriptors);
    origins = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(origins));
    Objects.requireNonNull(listOrigin, "listOrigin is null");
  }

  public boolean contains(String id) {
    return descriptors.stream().anyMatch(d -> d.id().equals(id));
  }

  public List<String> ids() {
    return descriptors.stream().map(MethodDescriptor::id).toList();
  }
}
