package dev.peft4j.method.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.api.MethodContext;
import java.util.Random;

/**
 * PiSSA's initialisation, as PEFT computes it: the top r singular triplets of W (fp32), with the
 * singular values divided by the scaling, give {@code A = diag(√S_r)·Vh_r} and {@code B = U_r·diag(√S_r)};
 * the base keeps the residual {@code W − scaling·B·A}. With {@code pissa_niter_N}, a randomized SVD
 * (N power iterations) replaces the exact one.
 */
final class Pissa {

  /** A, B and the residual base weight. */
  record Init(NDArray a, NDArray b, NDArray residual) {}

  private Pissa() {}

  static Init of(NDArray base, int rank, double scaling, int iterations, MethodContext context, long seed) {
    NDArray weight = context.castLike(base, context.scalar(1f)); // in float32 even over a bf16 base, as PEFT
    MethodContext.LinearAlgebra.Svd svd = iterations == 0
        ? context.linearAlgebra().svd(weight) : randomized(weight, rank, iterations, context, seed);
    NDArray u = svd.u().get(new NDIndex(":, :{}", rank));
    NDArray vh = svd.vh().get(new NDIndex(":{}, :", rank));
    NDArray root = svd.s().get(new NDIndex(":{}", rank)).div(context.scalar((float) scaling)).sqrt();
    NDArray a = vh.mul(root.expandDims(1));
    NDArray b = u.mul(root.expandDims(0));
    NDArray residual = weight.sub(b.matMul(a).mul(context.scalar((float) scaling)));
    return new Init(a, b, residual);
  }

  /** Halko et al.: a Gaussian sketch of width r, N power iterations, then the SVD of the small projection. */
  static MethodContext.LinearAlgebra.Svd randomized(NDArray weight, int rank, int iterations, MethodContext context,
      long seed) {
    MethodContext.LinearAlgebra algebra = context.linearAlgebra();
    long in = weight.getShape().get(1);
    Random random = new Random(seed);
    float[] sketch = new float[(int) (in * rank)];
    for (int i = 0; i < sketch.length; i++) {
      sketch[i] = (float) random.nextGaussian();
    }
    NDArray q = algebra.qr(weight.matMul(context.array(sketch, new Shape(in, rank))))[0];
    for (int i = 0; i < iterations; i++) {
      NDArray z = algebra.qr(weight.transpose().matMul(q))[0];
      q = algebra.qr(weight.matMul(z))[0];
    }
    MethodContext.LinearAlgebra.Svd small = algebra.svd(q.transpose().matMul(weight));
    return new MethodContext.LinearAlgebra.Svd(q.matMul(small.u()), small.s(), small.vh());
  }
}
