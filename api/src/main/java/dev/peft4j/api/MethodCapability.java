package dev.peft4j.api;

import static org.apiguardian.api.API.Status.STABLE;

import org.apiguardian.api.API;

/**
 * Facts about a method that rules between methods refer to, so that a rule can speak of "any method
 * that replaces the optimizer" without knowing every method by name.
 */
@API(status = STABLE, since = "0.1")
public enum MethodCapability {
  /** Owns the update of the parameters it targets (GaLore, BAdam): two such methods cannot share a run. */
  REPLACES_OPTIMIZER,
  /** Trains on top of a frozen, quantized base model (LoRA on a 4-bit base). */
  QUANTIZED_BASE,
  /** Can merge its trained state into the base weights. */
  MERGES;

  /** The lower-case name used in messages and in {@code peft4j methods}. */
  public String displayName() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
