package dev.peft4j.runtime.data;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * A batch as DJL arrays, each {@code [B, T]} of INT64: token ids, labels ({@link Example#IGNORE} where not learned)
 * and the attention mask (1 for a real token, 0 for padding). Closing it closes the three arrays.
 */
public record BatchArrays(NDArray inputIds, NDArray labels, NDArray attentionMask) implements AutoCloseable {
  public BatchArrays {
    Objects.requireNonNull(inputIds, "inputIds is null");
    Objects.requireNonNull(labels, "labels is null");
    Objects.requireNonNull(attentionMask, "attentionMask is null");
  }

  @Override
  public void close() {
    inputIds.close();
    labels.close();
    attentionMask.close();
  }
}
