package dev.peft4j.runtime.io.safetensors;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor of a safetensors file, as its header describes it.
 *
 * @param name the tensor's name, such as {@code model.layers.0.self_attn.q_proj.weight}
 * @param dtype the element type as the file spells it: {@code F32}, {@code BF16}, {@code F16}, {@code I64}…
 * @param shape the dimensions, outermost first; empty for a scalar
 * @param begin the first byte, relative to the start of the data buffer (after the header)
 * @param end one past the last byte, relative to the start of the data buffer
 */
public record TensorInfo(String name, String dtype, long[] shape, long begin, long end) {

  public TensorInfo {
    Objects.requireNonNull(name, "name is null");
    Objects.requireNonNull(dtype, "dtype is null");
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** The number of elements: the product of the dimensions (1 for a scalar, 0 for an empty tensor). */
  public long numel() {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** The number of bytes the tensor takes in the file. */
  public long byteLength() {
    return end - begin;
  }

  /** The shape as {@code [2, 3]}. */
  public String shapeText() {
    return Arrays.toString(shape);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t && name.equals(t.name) && dtype.equals(t.dtype)
        && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
  }

  @Override
  public String toString() {
    return name + " " + dtype + " " + shapeText() + " bytes " + begin + ".." + end;
  }
}
