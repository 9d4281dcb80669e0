package dev.peft4j.runtime.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.api.MethodContext.LinearAlgebra;
import dev.peft4j.api.Peft4jException;
import dev.peft4j.runtime.nn.Tensors;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * SVD and QR in double precision with EJML (pure Java), for what DJL 0.35 lacks: PiSSA's
 * initialisation decomposes each targeted weight once, at the start of a run. The results come back
 * as float32 arrays in libtorch's memory. GaLore's repeated decompositions use it only on small
 * matrices (a randomized range finder's QR and its small SVD; measured in bench/README.md, the SVD table),
 * or in full with {@code galore.svd = exact}.
 */
public final class EjmlLinearAlgebra implements LinearAlgebra {

  private final NDManager manager;

  public EjmlLinearAlgebra(NDManager manager) {
    this.manager = manager;
  }

  /** Reduced SVD, singular values in descending order. */
  @Override
  public Svd svd(NDArray a) {
    DMatrixRMaj matrix = matrix(a);
    int m = matrix.numRows;
    int n = matrix.numCols;
    SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(m, n, true, true, true);
    if (!svd.decompose(matrix.copy())) {
      throw new Peft4jException("the SVD of a " + m + "×" + n + " matrix did not converge (non-finite values?)");
    }
    DMatrixRMaj u = svd.getU(null, false);
    DMatrixRMaj w = svd.getW(null);
    DMatrixRMaj vt = svd.getV(null, true);
    SingularOps_DDRM.descendingOrder(u, false, w, vt, true);
    int k = Math.min(m, n);
    float[] s = new float[k];
    for (int i = 0; i < k; i++) {
      s[i] = (float) w.get(i, i);
    }
    return new Svd(array(u), Tensors.of(manager, s, new Shape(k)), array(vt));
  }

  /** Reduced QR: {@code [Q, R]}. */
  @Override
  public NDArray[] qr(NDArray a) {
    DMatrixRMaj matrix = matrix(a);
    QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(matrix.numRows, matrix.numCols);
    if (!qr.decompose(matrix.copy())) {
      throw new Peft4jException("the QR decomposition of a " + matrix.numRows + "×" + matrix.numCols + " matrix failed");
    }
    return new NDArray[] {array(qr.getQ(null, true)), array(qr.getR(null, true))};
  }

  private static DMatrixRMaj matrix(NDArray a) {
    if (a.getShape().dimension() != 2) {
      throw new IllegalArgumentException("a decomposition needs a 2-D array, got shape " + a.getShape());
    }
    int rows = (int) a.getShape().get(0);
    int cols = (int) a.getShape().get(1);
    float[] values = dev.peft4j.runtime.nn.TorchOps.get().toFloat32(a).toFloatArray();
    DMatrixRMaj matrix = new DMatrixRMaj(rows, cols);
    for (int i = 0; i < values.length; i++) {
      matrix.data[i] = values[i];
    }
    return matrix;
  }

  private NDArray array(DMatrixRMaj matrix) {
    float[] values = new float[matrix.numRows * matrix.numCols];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) matrix.data[i];
    }
    return Tensors.of(manager, values, new Shape(matrix.numRows, matrix.numCols));
  }
}
