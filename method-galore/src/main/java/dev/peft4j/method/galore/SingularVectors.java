package dev.peft4j.method.galore;

import ai.djl.ndarray.NDArray;

/**
 * Where GaLore's projectors come from: the top singular vectors of a gradient. One small interface, so
 * that the decomposition can change (exact, randomized, or a test's own) without touching the optimizer.
 */
interface SingularVectors {

  /** Which singular vectors a projector needs. */
  enum Side {
    /** {@code U[:, :r]}, {@code m × r}. */
    LEFT,
    /** {@code Vh[:r, :]}, {@code r × n}. */
    RIGHT,
    /** Both. */
    BOTH
  }

  /**
   * The top singular vectors of {@code g} ({@code m × n}, fp32), at most {@code min(rank, m, n)} of them,
   * as new fp32 arrays; the other factor is null.
   *
   * @param key identifies the matrix and the step (parameter name and step), for decompositions that draw
   *     random numbers: the same key gives the same sketch, so that a resumed run repeats
   */
  Top top(NDArray g, int rank, Side side, String key);

  /** {@code u} is {@code m × r} (columns), {@code vh} is {@code r × n} (rows); one may be null. */
  record Top(NDArray u, NDArray vh) {}
}
