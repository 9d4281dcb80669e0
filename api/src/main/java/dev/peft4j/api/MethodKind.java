package dev.peft4j.api;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/** What a method does to a run; a method may be of several kinds (LoRA+ is an adapter and a hook). */
@API(status = STABLE, since = "0.1")
public enum MethodKind {
  /** Changes the model's structure or weights and owns the parameters it adds ({@link AdapterMethod}). */
  ADAPTER,
  /** Decides which existing parameters train ({@link ParameterSelector}). */
  SELECTOR,
  /** Takes part in every optimizer step ({@link OptimizerHook}). */
  OPTIMIZER_HOOK;

  /** The lower-case name used in messages and in {@code peft4j methods}. */
  public String displayName() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
