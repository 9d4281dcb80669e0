package dev.peft4j.runtime.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embeddings as transformers computes them ({@code rotate_half} convention, the whole head
 * rotated), with {@code rope_theta} and, optionally, Llama 3's frequency-dependent {@code rope_scaling}.
 */
public final class RotaryEmbedding {

  private final float[] inverseFrequencies;

  /** transformers' default rope over a head of {@code dim} values (even) with base {@code theta}. */
  public RotaryEmbedding(int dim, double theta) {
    inverseFrequencies = new float[dim / 2];
    for (int i = 0; i < dim / 2; i++) {
      // As transformers: in float32, base ** (arange(0, dim, 2) / dim).
      float exponent = (float) (2 * i) / dim;
      inverseFrequencies[i] = (float) (1.0 / Math.pow(theta, exponent));
    }
  }

  /** Scales the frequencies as {@code rope_type = llama3} does (transformers' {@code _compute_llama3_parameters}). */
  public RotaryEmbedding scaleLikeLlama3(double factor, double lowFreqFactor, double highFreqFactor,
      int originalMaxPositions) {
    double lowFreqWavelen = originalMaxPositions / lowFreqFactor;
    double highFreqWavelen = originalMaxPositions / highFreqFactor;
    for (int i = 0; i < inverseFrequencies.length; i++) {
      double freq = inverseFrequencies[i];
      double wavelen = 2 * Math.PI / freq;
      double scaled = wavelen > lowFreqWavelen ? freq / factor : freq;
      if (!(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen)) {
        double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        scaled = (1 - smooth) * scaled / factor + smooth * scaled;
      }
      inverseFrequencies[i] = (float) scaled;
    }
    return this;
  }

  /** {cos, sin}, each {@code [1, 1, T, headDim]}, for positions {@code 0..T-1}. */
  public NDArray[] cosSin(NDManager manager, int length) {
    int[][] positions = new int[1][length];
    for (int t = 0; t < length; t++) {
      positions[0][t] = t;
    }
    return cosSin(manager, positions);
  }

  /** {cos, sin}, each {@code [B, 1, T, headDim]}, for the positions {@code [B][T]} of each row. */
  public NDArray[] cosSin(NDManager manager, int[][] positions) {
    int half = inverseFrequencies.length;
    int batch = positions.length;
    int length = positions[0].length;
    float[] cos = new float[batch * length * half * 2];
    float[] sin = new float[batch * length * half * 2];
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < length; t++) {
        int row = (b * length + t) * half * 2;
        for (int i = 0; i < half; i++) {
          float angle = (float) positions[b][t] * inverseFrequencies[i];
          float c = (float) Math.cos(angle);
          float s = (float) Math.sin(angle);
          cos[row + i] = c;
          cos[row + half + i] = c;
          sin[row + i] = s;
          sin[row + half + i] = s;
        }
      }
    }
    Shape shape = new Shape(batch, 1, length, half * 2);
    return new NDArray[] {Tensors.of(manager, cos, shape), Tensors.of(manager, sin, shape)};
  }
}
