package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Arrays made from Java data whose memory libtorch owns. DJL 0.35's PyTorch engine wraps a direct
 * {@code ByteBuffer} of Java's as the tensor's storage ({@code from_blob}) and keeps it alive only
 * through the Java array object. A tensor autograd saved for the backward pass, or a view, that
 * outlives that object then reads memory the garbage collector has freed. DJL's own {@code
 * x.mul(2.0f)} does exactly that: it makes the scalar this way, multiplies, and closes the scalar,
 * while autograd keeps it to compute the gradient (measured here: gradients of 1e25 and non-finite
 * norms after a few hundred steps, earlier the more often the JVM collects). So: never pass a Java
 * number to an operation that autograd records — use {@link #scalar} — and copy arrays made from
 * Java data into libtorch's memory once.
 */
public final class Tensors {

  private Tensors() {}

  public static NDArray of(NDManager manager, float[] data, Shape shape) {
    return owned(manager.create(data, shape));
  }

  public static NDArray of(NDManager manager, long[] data, Shape shape) {
    return owned(manager.create(data, shape));
  }

  /** A 0-d float32 array in libtorch's memory, safe to combine with arrays that autograd tracks. */
  public static NDArray scalar(NDManager manager, float value) {
    return of(manager, new float[] {value}, new Shape());
  }

  /** A copy of {@code fromJava} in libtorch's memory; {@code fromJava} is closed. */
  public static NDArray owned(NDArray fromJava) {
    NDArray copy = fromJava.duplicate();
    fromJava.close();
    return copy;
  }
}
