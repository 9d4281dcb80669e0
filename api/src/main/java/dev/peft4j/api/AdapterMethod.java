package dev.peft4j.api;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.peft4j.api.model.ModelView;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * Changes the model's structure or weights and owns the parameters it adds (LoRA wraps linear
 * layers with a low-rank branch; DoRA adds a magnitude vector; PiSSA rewrites base weights).
 *
 * <p>After {@link #apply}, the parameters the adapter added are part of {@link
 * ModelView#parameters()} with their trainable flag set, and every base parameter the adapter does
 * not train is frozen.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface AdapterMethod extends PeftMethod {

  /** Attaches the adapter to the model. Called once, before training or loading. */
  void apply(ModelView model);

  /** The adapter's state to save: named tensors plus a small JSON-able config. */
  AdapterState state();

  /** Replaces the adapter's state by a saved one. */
  void load(AdapterState state);

  /**
   * Other forms of the trained adapter, written next to it at the end of training, each into the folder of the
   * output its key names; none by default. LoRA with {@code lora.pissa-convert} gives {@code pissa_converted}: its
   * PiSSA adapter as a plain LoRA adapter on the unchanged base, as PEFT converts it. Arrays made for them are the
   * caller's to close.
   */
  @API(status = EXPERIMENTAL, since = "1.4")
  default Map<String, AdapterState> conversions() {
    return Map.of();
  }

  /**
   * Folds the adapter into the base weights. With {@code safe}, the merged weights are checked for
   * NaN and infinities first and nothing changes if any is found.
   *
   * @throws UnsupportedFeatureException when the method cannot merge
   */
  default void merge(boolean safe) {
    throw new UnsupportedFeatureException("this adapter cannot be merged into the base weights");
  }

  /**
   * Undoes {@link #merge}.
   *
   * @throws UnsupportedFeatureException when the method cannot merge
   */
  default void unmerge() {
    throw new UnsupportedFeatureException("this adapter cannot be merged into the base weights");
  }
}
