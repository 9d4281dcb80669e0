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

  /** Decompositions DJL 0.35 does not offer, computed in fp32. */
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
