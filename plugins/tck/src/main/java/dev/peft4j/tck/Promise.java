package dev.peft4j.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import org.apiguardian.api.API;

/** What a method promises beyond the contract every method keeps; {@link MethodContract} checks each promise made. */
@API(status = EXPERIMENTAL, since = "0.1")
public enum Promise {
  /**
   * Applying the adapter leaves the model's output unchanged until it trains (LoRA's B = 0, IA³'s vectors of
   * ones, DoRA's magnitude = ‖W‖, PiSSA's residual base). Selectors and optimizer hooks never change the model
   * when applied, so the kit checks that for them without a promise.
   */
  UNCHANGED_OUTPUT_AT_INIT
}
