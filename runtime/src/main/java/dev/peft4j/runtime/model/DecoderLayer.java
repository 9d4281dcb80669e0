package dev.peft4j.runtime.model;

import ai.djl.ndarray.NDArray;
import dev.peft4j.runtime.nn.Attention;
import dev.peft4j.runtime.nn.KeyValueCache;
import dev.peft4j.runtime.nn.Module;

/** One layer of a {@link DecoderModel}: hidden states in, hidden states out, over the whole batch. */
public abstract class DecoderLayer extends Module {

  /**
   * @param x {@code [B, T, hidden]}
   * @param cos rotary cosines {@code [1 or B, 1, T, D]}, float32
   * @param sin rotary sines {@code [1 or B, 1, T, D]}, float32
   * @param attention which keys each query may see
   * @param cache the keys and values of the places before x, which x's are appended to; null without a cache
   */
  public abstract NDArray forward(NDArray x, NDArray cos, NDArray sin, Attention attention, KeyValueCache cache);

  /** This layer run again for its backward pass only ({@link Recomputed}); by default its forward pass, whole. */
  public Recomputed recompute(NDArray x, NDArray cos, NDArray sin, Attention attention, KeyValueCache cache) {
    return Recomputed.whole(forward(x, cos, sin, attention, cache));
  }
}
