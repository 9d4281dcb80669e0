package dev.peft4j.method.galore;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.method.galore.GaloreSettings.ProjectionType;
import dev.peft4j.method.galore.SingularVectors.Side;
import dev.peft4j.method.galore.SingularVectors.Top;

/**
 * The projector of one weight matrix, as galore-torch's {@code GaLoreProjector}: which side(s) of the
 * gradient {@code G} ({@code m × n}) it projects, and the orthonormal factor(s) of the last update.
 *
 * <ul>
 *   <li>{@code right}: {@code P = Vh[:r]} ({@code r × n}), {@code R = G·Pᵀ}, back {@code R·P};
 *   <li>{@code left}: {@code P = U[:, :r]} ({@code m × r}), {@code R = Pᵀ·G}, back {@code P·R};
 *   <li>{@code full}: both, {@code R = Uᵀ·G·Vhᵀ}, back {@code U·R·Vh};
 *   <li>{@code std}: right when {@code m ≥ n}, else left; {@code reverse_std} the opposite.
 * </ul>
 *
 * <p>The side is fixed by the shape and remembered, so projecting back never guesses it from the
 * projected shape (galore-torch does, which fails for {@code reverse_std} when the rank reaches the
 * smaller dimension).
 */
final class GaloreProjector implements AutoCloseable {

  private final Side side;
  private NDArray left;
  private NDArray right;

  GaloreProjector(Side side) {
    this.side = side;
  }

  /** The side(s) a projection type uses for a weight of {@code shape}. */
  static Side sideOf(ProjectionType type, Shape shape) {
    boolean tall = shape.get(0) >= shape.get(1);
    return switch (type) {
      case STD -> tall ? Side.RIGHT : Side.LEFT;
      case REVERSE_STD -> tall ? Side.LEFT : Side.RIGHT;
      case RIGHT -> Side.RIGHT;
      case LEFT -> Side.LEFT;
      case FULL -> Side.BOTH;
    };
  }

  Side side() {
    return side;
  }

  boolean ready() {
    return switch (side) {
      case LEFT -> left != null;
      case RIGHT -> right != null;
      case BOTH -> left != null && right != null;
    };
  }

  /** {@code U[:, :r]} or null. */
  NDArray left() {
    return left;
  }

  /** {@code Vh[:r]} or null. */
  NDArray right() {
    return right;
  }

  /** Takes the new factors (which the caller has made long-lived) and closes the old ones. */
  void replace(Top top) {
    if (left != null && left != top.u()) {
      left.close();
    }
    if (right != null && right != top.vh()) {
      right.close();
    }
    left = top.u();
    right = top.vh();
  }

  NDArray project(NDArray g) {
    return switch (side) {
      case RIGHT -> g.matMul(right.transpose());
      case LEFT -> left.transpose().matMul(g);
      case BOTH -> left.transpose().matMul(g).matMul(right.transpose());
    };
  }

  /** The low-rank update in the weight's shape, times {@code scale} (a 0-d array). */
  NDArray projectBack(NDArray low, NDArray scale) {
    NDArray full = switch (side) {
      case RIGHT -> low.matMul(right);
      case LEFT -> left.matMul(low);
      case BOTH -> left.matMul(low).matMul(right);
    };
    return full.mul(scale);
  }

  @Override
  public void close() {
    if (left != null) {
      left.close();
    }
    if (right != null) {
      right.close();
    }
    left = null;
    right = null;
  }
}
