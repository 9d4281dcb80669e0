package dev.peft4j.api.model;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
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
   * Registers new parameters of the module {@code module} (dotted name), as {@code module + "." +
   * key}; they start trainable. Returns live views: their {@code data()} follows the runtime when it
   * restores a checkpoint, so layers should read their parameters through them.
   */
  Map<String, ParameterView> addParameters(String module, Map<String, NDArray> parameters);

  /**
   * Puts {@code replacement} where the linear layer named {@code name} was; the replacement usually
   * wraps the original (a LoRA layer) and keeps its parameters, and those added to it with {@link
   * #addParameters}.
   */
  void replaceLinear(String name, LinearLayer replacement);
}
