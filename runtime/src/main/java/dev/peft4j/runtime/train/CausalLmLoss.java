package dev.peft4j.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.peft4j.runtime.nn.Precision;

/** Next-token cross-entropy over the positions whose label is not {@value #IGNORE} (prompt and padding are). */
public final class CausalLmLoss {

  /** The label of a position that does not count, as in transformers. */
  public static final int IGNORE = dev.peft4j.runtime.data.Example.IGNORE;

  /**
   * The largest number of logits a chunk of the loss computes at once in fp32 (the trainer's {@code StagedPass}, and
   * the planner as it prices it): just under 32 MiB of float32, so that the chunk and its float32 copies stay below
   * glibc's largest mmap threshold (32 MiB, {@code NativeMemory}, less 64 KiB for the allocator's own bytes) and are
   * reused from one chunk to the next instead of mapped afresh (at 64 MiB chunks, TinyLlama-1.1B's bf16 step took
   * 88,551 minor page faults, at 16 MiB 98). Fewer, larger chunks matter in fp32 because each chunk's product with
   * the head goes through the whole head weight again, forward and backward: on TinyLlama's vocabulary of 32,000 the
   * head's products of a 4 × 128 step took 20 % less time in two chunks than in four (bench/README.md).
   */
  public static final long CHUNK_VALUES = (8L << 20) - (16L << 10);

  /**
   * The same in bf16: 4 M logits (16 MiB of float32). There the head's products took the same time in two chunks as
   * in four, and TinyLlama-1.1B's step was 0.6–2.1 % slower with the larger chunks, with 40–130 MB more peak RSS.
   */
  public static final long BF16_CHUNK_VALUES = 4L << 20;

  /** The largest chunk of the loss, in logits, of a model computing in {@code precision}. */
  public static long chunkValues(Precision precision) {
    return precision == Precision.BF16 ? BF16_CHUNK_VALUES : CHUNK_VALUES;
  }

  /**
   * The most logits one product with the head makes in bf16: just under 32 MiB of bf16 (glibc's threshold as above),
   * the fp32 loss then taken over it in chunks of {@link #BF16_CHUNK_VALUES}. Each product with the head goes through
   * the whole head weight, forward and backward, and on the AMX Xeon a bf16 {@code [M, 2048] · [2048, 32000]} with
   * its input gradient cost 289 ms per 512 positions at M = 131 against 234 ms at M = 512 (bench/README.md): so a
   * 4 × 128 batch of TinyLlama makes its logits in one product, as transformers does, and only the float32 loss is
   * chunked.
   */
  public static final long BF16_HEAD_VALUES = (16L << 20) - (32L << 10);

  /** The most logits one product with the head makes in {@code precision}: in fp32 a loss chunk's. */
  public static long headValues(Precision precision) {
    return precision == Precision.BF16 ? BF16_HEAD_VALUES : CHUNK_VALUES;
  }

  /**
   * The positions a part of the float32 loss takes when the head makes at most {@code headValues} logits at once and
   * the loss holds at most {@code chunkValues}: never more than a head chunk's.
   */
  public static long partRows(long positions, long vocabulary, long headValues, long chunkValues) {
    return Math.min(chunkRows(positions, vocabulary, headValues), chunkRows(positions, vocabulary, chunkValues));
  }

  /** The positions a chunk of the loss takes: as many as {@code chunkValues} logits hold, at least one. */
  public static long chunkRows(long positions, long vocabulary, long chunkValues) {
    return Math.max(1, Math.min(positions, chunkValues / Math.max(1, vocabulary)));
  }

  private CausalLmLoss() {}

  /**
   * @param logits {@code [B, T, V]}
   * @param labels {@code [B, T]} INT64: the token each position should be followed by is the label one to the right
   * @return the mean over counted positions, and their number (a scalar each)
   */
  public static NDArray[] meanAndCount(NDArray logits, NDArray labels) {
    long length = logits.getShape().get(1);
    NDArray shiftedLogits = logits.get(new NDIndex(":, :{}, :", length - 1));
    NDArray shiftedLabels = labels.get(new NDIndex(":, 1:"));
    NDArray counted = shiftedLabels.neq(IGNORE);
    NDArray safeLabels = shiftedLabels.mul(counted.toType(DataType.INT64, false));
    NDArray logProbabilities = shiftedLogits.logSoftmax(-1);
    NDArray picked = logProbabilities.gather(safeLabels.expandDims(-1), -1).squeeze(-1);
    NDArray weights = counted.toType(DataType.FLOAT32, false);
    NDArray count = weights.sum();
    NDArray total = picked.mul(weights).sum().neg();
    return new NDArray[] {total.div(count.maximum(1f)), count};
  }
}
