package dev.peft4j.runtime.setup;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.api.MethodContext;
import dev.peft4j.runtime.linalg.EjmlLinearAlgebra;
import java.util.function.Consumer;

/**
 * The runtime's side of {@link MethodContext}.
 *
 * @param reporter where a method's lines for the user go (a training run's output)
 */
public record RuntimeMethodContext(NDManager manager, long seed, Consumer<String> reporter) implements MethodContext {

  /** A context whose methods report on standard output. */
  public RuntimeMethodContext(NDManager manager, long seed) {
    this(manager, seed, System.out::println);
  }

  @Override
  public Device device() {
    return manager.getDevice();
  }

  @Override
  public NDArray array(float[] data, ai.djl.ndarray.types.Shape shape) {
    return dev.peft4j.runtime.nn.Tensors.of(manager, data, shape);
  }

  @Override
  public NDArray scalar(float value) {
    return dev.peft4j.runtime.nn.Tensors.scalar(manager, value);
  }

  @Override
  public NDArray castLike(NDArray array, NDArray like) {
    return dev.peft4j.runtime.nn.TorchOps.get().castLike(array, like);
  }

  @Override
  public void report(String line) {
    reporter.accept(line);
  }

  @Override
  public LinearAlgebra linearAlgebra() {
    return new EjmlLinearAlgebra(manager);
  }
}
