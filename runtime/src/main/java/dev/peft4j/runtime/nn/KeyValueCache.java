package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;

/**
 * One attention layer's rotated keys and values of every place a decoding session has fed, {@code [B, kvHeads, S,
 * headDim]} in the compute dtype, as transformers' {@code DynamicCache} holds them (with a sliding window, only the
 * places a later query can still see). They belong to the session's manager and outlive the scope of the step that
 * made them; the step's own arrays do not.
 */
public final class KeyValueCache {

  private final NDManager manager;
  private NDArray keys;
  private NDArray values;

  public KeyValueCache(NDManager manager) {
    this.manager = manager;
  }

  /** The cached keys and values followed by {@code k} and {@code v} (each {@code [B, kvHeads, T, headDim]}), kept. */
  public NDArray[] append(NDArray k, NDArray v) {
    NDArray allKeys = keys == null ? k : keys.concat(k, 2);
    NDArray allValues = values == null ? v : values.concat(v, 2);
    NDScope.unregister(allKeys, allValues);
    allKeys.attach(manager);
    allValues.attach(manager);
    if (keys != null) {
      keys.close();
      values.close();
    }
    keys = allKeys;
    values = allValues;
    return new NDArray[] {allKeys, allValues};
  }

  /** Drops all but the last {@code places} places (those a sliding window can still show a later query). */
  public void keepLast(int places) {
    long length = keys == null ? 0 : keys.getShape().get(2);
    if (length <= places) {
      return;
    }
    NDArray keptKeys = places == 0 ? null : keys.get(new NDIndex(":, :, {}:", length - places));
    NDArray keptValues = places == 0 ? null : values.get(new NDIndex(":, :, {}:", length - places));
    if (places > 0) {
      NDScope.unregister(keptKeys, keptValues);
      keptKeys.attach(manager);
      keptValues.attach(manager);
    }
    keys.close();
    values.close();
    keys = keptKeys;
    values = keptValues;
  }
}
