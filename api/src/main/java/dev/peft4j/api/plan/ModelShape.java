package dev.peft4j.api.plan;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import dev.peft4j.api.model.ModelInfo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * The model as a plan sees it, known from {@code config.json} alone: every parameter (names and
 * shapes, in the order of the model's state dict, with whether it trains), and the linear layers — the
 * planning twin of {@link dev.peft4j.api.model.ModelView}. A method's {@link
 * dev.peft4j.api.MethodFactory#plan plan} receives the model as the methods planned before it left it:
 * adapters' parameters added, selectors' choices trainable.
 *
 * @param linearLayers every linear layer, the output head included (methods that skip it do so by name)
 * @param computeBytes bytes of a value of the activations the model computes: 4 in fp32, 2 in bf16 (a method
 *     whose branch computes in float32 then keeps a float32 copy of its input: LoRA in a bf16 run)
 */
@API(status = EXPERIMENTAL, since = "0.2")
public record ModelShape(ModelInfo info, List<ParameterShape> parameters, List<LinearShape> linearLayers,
    int computeBytes) {

  public ModelShape {
    Objects.requireNonNull(info, "info is null");
    parameters = List.copyOf(parameters);
    linearLayers = List.copyOf(linearLayers);
    if (computeBytes != 2 && computeBytes != 4) {
      throw new IllegalArgumentException("computeBytes must be 2 (bf16) or 4 (fp32), not " + computeBytes);
    }
  }

  /** A model that computes in fp32. */
  public ModelShape(ModelInfo info, List<ParameterShape> parameters, List<LinearShape> linearLayers) {
    this(info, parameters, linearLayers, 4);
  }

  /** The parameter named {@code name}, if the model has it. */
  public Optional<ParameterShape> parameter(String name) {
    return parameters.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  /** The parameters by name, in order. */
  public Map<String, ParameterShape> byName() {
    Map<String, ParameterShape> byName = new LinkedHashMap<>();
    parameters.forEach(p -> byName.put(p.name(), p));
    return byName;
  }

  /** The parameters that train. */
  public List<ParameterShape> trainable() {
    return parameters.stream().filter(ParameterShape::trainable).toList();
  }

  /** Values in all parameters. */
  public long size() {
    return parameters.stream().mapToLong(ParameterShape::size).sum();
  }

  /** Values in the parameters that train. */
  public long trainableSize() {
    return parameters.stream().filter(ParameterShape::trainable).mapToLong(ParameterShape::size).sum();
  }
}
