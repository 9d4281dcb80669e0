package dev.peft4j.api;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import java.util.Objects;
import org.apiguardian.api.API;

/**
 * What an adapter saves: tensors by the names they have in the file (in order), and a JSON-able
 * config (strings, numbers, booleans, nulls, lists and maps of those). The runtime owns files and formats.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record AdapterState(Map<String, NDArray> tensors, Map<String, Object> config) {
  public AdapterState {
    tensors = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(
        Objects.requireNonNull(tensors, "tensors is null")));
    // JSON has nulls (PEFT writes "modules_to_save": null), so the config keeps them, in order.
    config = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(
        Objects.requireNonNull(config, "config is null")));
  }
}
