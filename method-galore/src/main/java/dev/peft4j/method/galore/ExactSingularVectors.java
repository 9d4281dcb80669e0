package dev.peft4j.method.galore;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import dev.peft4j.api.MethodContext;
import dev.peft4j.api.MethodContext.LinearAlgebra.Svd;

/**
 * The full SVD of the gradient, as galore-torch takes it ({@code torch.linalg.svd(full_matrices=False)}),
 * computed by the runtime in double precision. Its singular vectors agree with torch's up to sign.
 */
final class ExactSingularVectors implements SingularVectors {

  private final MethodContext context;

  ExactSingularVectors(MethodContext context) {
    this.context = context;
  }

  @Override
  public Top top(NDArray g, int rank, Side side, String key) {
    try (NDScope scope = new NDScope()) {
      Svd svd = context.linearAlgebra().svd(g);
      int r = Math.min(rank, (int) svd.s().getShape().get(0));
      // Copies of the slices: a view would keep the whole factor alive.
      NDArray u = side == Side.RIGHT ? null : svd.u().get(new NDIndex(":, :{}", r)).duplicate();
      NDArray vh = side == Side.LEFT ? null : svd.vh().get(new NDIndex(":{}, :", r)).duplicate();
      keep(u);
      keep(vh);
      return new Top(u, vh);
    }
  }

  private static void keep(NDArray array) {
    if (array != null) {
      NDScope.unregister(array);
    }
  }
}
