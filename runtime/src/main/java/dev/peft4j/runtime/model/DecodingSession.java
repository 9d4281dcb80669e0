package dev.peft4j.runtime.model;

/**
 * A batch decoded step by step with a key/value cache: each layer keeps the keys and values of every place fed so
 * far, so that a step computes only its new places. Rows are left-padded: a prompt's pad places (mask 0) are hidden
 * from every later query, and the positions of a row's rotary embeddings are what transformers' {@code generate}
 * gives them, {@code cumsum(attention_mask) − 1} with 1 at pad places. Each step runs with gradient tracking off and
 * frees its own arrays; the cache lives until {@link #close}. A step that throws leaves the session unusable: close
 * it and start another.
 */
public interface DecodingSession extends AutoCloseable {

  /**
   * Feeds the next places of every row and returns the logits at the last of them.
   *
   * @param ids {@code [B][T]} token ids, as many places in every row (T ≥ 1)
   * @param mask {@code [B][T]}, 1 for a real token and 0 for padding
   * @return {@code [B][vocab]} float32 logits at each row's last fed place
   */
  float[][] next(int[][] ids, int[][] mask);

  /** The places fed so far: the cache's length, pads included. */
  int length();

  /** Frees the cache. */
  @Override
  void close();
}
