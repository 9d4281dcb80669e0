package dev.peft4j.api.model;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.util.List;
import org.apiguardian.api.API;

/** The model as methods see it: its structure, parameters and linear layers, by Hugging Face names. */
@API(status = EXPERIMENTAL, since = "0.1")
public interface ModelView {

  ModelInfo info();

  /** Every parameter, in the order of the model's state dict, adapters' parameters included. */
  List<ParameterView> parameters();

  /** Every linear layer, the output head included (methods that skip it do so by name). */
  List<LinearView> linearLayers();

  /**
   * Puts {@code replacement} where the linear layer named {@code name} was; the replacement
   * usually wraps the original (a LoRA layer). Parameters the replacement adds are registered
   * under {@code name} + "." + their names.
   */
  void replaceLinear(String name, LinearLayer replacement, List<ParameterView> addedParameters);
}
