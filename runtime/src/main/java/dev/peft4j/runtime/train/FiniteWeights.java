package dev.peft4j.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.peft4j.runtime.nn.TorchOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Whether weights are finite, checked cheaply enough to run after every optimizer step: the sums of all tensors
 * are added on the device and read once (NaN and infinity survive a sum), and only when that total is not finite
 * are the tensors looked at one by one, which also tells a real NaN from a sum that merely overflowed.
 */
public final class FiniteWeights {

  /** How many tensors a message names. */
  static final int NAMED = 5;

  /** The floating-point types checked as they are; bf16 arrays are checked as their float32 copies; integers are not. */
  private static final Set<DataType> CHECKED = Set.of(DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16);

  /** {@code array} in a dtype DJL can check (bf16 as float32: DJL cannot name bf16), or null for an integer one. */
  private static NDArray checkable(NDArray array) {
    if (TorchOps.isBf16(array)) {
      return TorchOps.get().toFloat32(array.stopGradient());
    }
    return CHECKED.contains(array.getDataType()) ? array : null;
  }

  private FiniteWeights() {}

  /** The names of the tensors that hold a NaN or an infinity, in the map's order; empty when all are finite. */
  public static List<String> nonFinite(Map<String, NDArray> tensors) {
    Objects.requireNonNull(tensors, "tensors is null");
    if (tensors.isEmpty()) {
      return List.of();
    }
    try (NDScope scope = new NDScope()) {
      NDArray total = null;
      for (NDArray tensor : tensors.values()) {
        NDArray array = checkable(tensor);
        if (array != null && array.size() > 0) {
          NDArray sum = array.sum().toType(DataType.FLOAT64, false);
          total = total == null ? sum : total.add(sum);
        }
      }
      if (total == null || Double.isFinite(total.getDouble())) {
        return List.of();
      }
      List<String> names = new ArrayList<>();
      tensors.forEach((name, tensor) -> {
        NDArray array = checkable(tensor);
        if (array != null && array.size() > 0
            && (array.isNaN().any().getBoolean() || array.isInfinite().any().getBoolean())) {
          names.add(name);
        }
      });
      return names;
    }
  }

  /** The names of non-finite tensors for a message: the first few, the rest counted. */
  public static String describe(List<String> names) {
    return dev.peft4j.runtime.Names.firstFew(names, NAMED, ", ");
  }

  /**
   * @param what what is about to be done with them, for the message ({@code "writing the checkpoint step-000002"})
   * @throws TrainingException naming the non-finite tensors, if any
   */
  public static void require(Map<String, NDArray> tensors, String what) {
    List<String> bad = nonFinite(tensors);
    if (!bad.isEmpty()) {
      throw new TrainingException("the weights are not finite (NaN or infinity in " + describe(bad) + "): refused "
          + what + ", so that no broken model is ever written. Lower training.learning-rate (and check the data), "
          + "then train again");
    }
  }
}
