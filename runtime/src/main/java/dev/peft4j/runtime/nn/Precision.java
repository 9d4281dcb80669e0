package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

/**
 * The dtype a model computes in, and stores its frozen weights in. {@link #BF16} is mixed precision as PEFT and
 * transformers' Trainer run it: frozen weights and activations in bfloat16 (half the memory, the device's bf16
 * matrix units), every trainable parameter an fp32 master copy that the forward pass casts (differentiably), fp32
 * optimizer state, and the loss in fp32. Every bf16 array is made through {@link TorchOps}.
 */
public enum Precision {
  FP32,
  BF16;

  /** {@code x} in the dtype this precision computes in: a differentiable cast, or x itself. */
  public NDArray compute(NDArray x) {
    if (this == BF16) {
      return TorchOps.get().toBf16(x);
    }
    return x.getDataType() == DataType.FLOAT32 ? x : TorchOps.get().toFloat32(x);
  }

  /**
   * {@code values} (a frozen weight, detached) in the dtype it is stored in, on the same manager and outside any
   * scope: a new array (and {@code values} closed) when the dtype changes, else {@code values}.
   */
  public NDArray store(NDArray values) {
    return convert(values, this == BF16);
  }

  /** {@code values} as an fp32 master copy, as {@link #store} makes its copies. */
  public static NDArray master(NDArray values) {
    return convert(values, false);
  }

  private static NDArray convert(NDArray values, boolean bf16) {
    if (TorchOps.isBf16(values) == bf16 && (bf16 || values.getDataType() == DataType.FLOAT32)) {
      return values;
    }
    NDArray converted;
    try (NDScope scope = new NDScope()) {
      converted = bf16 ? TorchOps.get().toBf16(values.stopGradient()) : TorchOps.get().toFloat32(values.stopGradient());
      NDScope.unregister(converted);
    }
    converted.attach(values.getManager());
    values.close();
    return converted;
  }

  /** Bytes a value of a frozen weight takes in this precision. */
  public int storedBytes() {
    return this == BF16 ? 2 : 4;
  }

  /** The name transformers writes as {@code torch_dtype}. */
  public String torchDtype() {
    return this == BF16 ? "bfloat16" : "float32";
  }
}
