package dev.peft4j.runtime.run;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.api.MethodContext;
import dev.peft4j.runtime.linalg.EjmlLinearAlgebra;

/** The runtime's side of {@link MethodContext}. */
public record RuntimeMethodContext(NDManager manager, long seed) implements MethodContext {

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
  public LinearAlgebra linearAlgebra() {
    return new EjmlLinearAlgebra(manager);
  }
}
