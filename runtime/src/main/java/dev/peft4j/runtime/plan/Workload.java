package dev.peft4j.runtime.plan;

/**
 * What one optimizer step processes: {@code accumulation} micro-batches of {@code batch} sequences of
 * {@code length} tokens (training.batch-size, data.cutoff-len, training.gradient-accumulation-steps).
 * Batches are padded to their longest example, so {@code length} is the most a batch can have.
 */
public record Workload(int batch, int length, int accumulation) {

  public Workload {
    if (batch < 1 || length < 1 || accumulation < 1) {
      throw new IllegalArgumentException("batch, length and accumulation must be positive: " + batch + ", " + length
          + ", " + accumulation);
    }
  }

  public long tokens() {
    return (long) batch * length;
  }
}
