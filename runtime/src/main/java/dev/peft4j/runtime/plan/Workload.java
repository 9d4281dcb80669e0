package dev.peft4j.runtime.plan;

import dev.peft4j.runtime.nn.Precision;

/**
 * What one optimizer step processes, and how: {@code accumulation} micro-batches of {@code batch} sequences of
 * {@code length} tokens (training.batch-size, data.cutoff-len, training.gradient-accumulation-steps), computed in
 * {@code precision}, with or without gradient checkpointing. Batches are padded to their longest example, so
 * {@code length} is the most a batch can have.
 */
public record Workload(int batch, int length, int accumulation, Precision precision, boolean checkpointing) {

  /** In fp32, without checkpointing. */
  public Workload(int batch, int length, int accumulation) {
    this(batch, length, accumulation, Precision.FP32, false);
  }

  public Workload {
    java.util.Objects.requireNonNull(precision, "precision is null");
    if (batch < 1 || length < 1 || accumulation < 1) {
      throw new IllegalArgumentException("batch, length and accumulation must be positive: " + batch + ", " + length
          + ", " + accumulation);
    }
  }

  public long tokens() {
    return (long) batch * length;
  }
}
