package dev.peft4j.api;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.apiguardian.api.API;

/**
 * What a method needs from the runtime, implemented by the runtime: a long-lived manager for
 * parameters and optimizer state, the device, seeded randomness, and the linear algebra DJL lacks.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public interface MethodContext {

  /** Owns parameters and optimizer state for the whole run. */
  NDManager manager();

  Device device();

  /** The run's seed; derive per-purpose seeds from it so that runs repeat. */
  long seed();

  LinearAlgebra linearAlgebra();

  /**
   * An array of {@code data} in the engine's own memory, on the run's device. Use it rather than
   * {@code manager().create(float[])}: DJL 0.35 keeps such an array's storage in a Java buffer that the
   * garbage collector may free while autograd still holds the tensor.
   */
  NDArray array(float[] data, ai.djl.ndarray.types.Shape shape);

  /**
   * A scalar to combine with arrays autograd tracks. Never pass a Java number to such an operation
   * ({@code x.mul(2f)}): DJL frees the scalar it makes before the backward pass reads it.
   */
  NDArray scalar(float value);

  /**
   * {@code array} in the dtype of {@code like}, differentiably: the one cast a method needs in a bf16 run, where
   * the activations and the frozen base weights are bfloat16 and a method's own parameters float32 (as PEFT keeps
   * adapters), e.g. to run an adapter branch in float32 as PEFT does. DJL cannot name bfloat16 (it reports such
   * arrays as {@code DataType.UNKNOWN}): never call {@code toType}, {@code softmax}, {@code logSoftmax}, or
   * {@code zeros}/{@code ones} of an array's own type on an array you did not make — those abort the JVM on bf16.
   * Elementwise arithmetic mixes dtypes as PyTorch does (bf16 with float32 gives float32); a matrix product needs
   * one dtype. The runtime casts what a method's layer returns to the model's dtype.
   */
  @API(status = EXPERIMENTAL, since = "1.2")
  default NDArray castLike(NDArray array, NDArray like) {
    return array;
  }

  /**
   * Shows a line to the person running the training (a method's verbose output, such as BAdam's active
   * block), where the runtime prints its own progress; by default on standard output.
   */
  @API(status = EXPERIMENTAL, since = "0.1")
  default void report(String line) {
    System.out.println(line);
  }

  /** Decompositions DJL 0.35 does not offer (the runtime computes them in double precision; results are fp32). */
  @API(status = EXPERIMENTAL, since = "0.1")
  interface LinearAlgebra {

    /** Reduced SVD of a 2-D array: {@code a = u · diag(s) · vh}. */
    Svd svd(NDArray a);

    /** Reduced QR of a 2-D array. */
    NDArray[] qr(NDArray a);

    /** The factors of a reduced SVD; {@code s} descends. */
    record Svd(NDArray u, NDArray s, NDArray vh) {}
  }
}
