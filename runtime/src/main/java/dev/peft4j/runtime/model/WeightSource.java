package dev.peft4j.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.runtime.nn.Tensors;

/** Where a model's initial weights come from: a checkpoint on disk, or a random initialisation. */
@FunctionalInterface
public interface WeightSource {

  /**
   * The tensor called {@code name} (a dotted Hugging Face name) of exactly {@code shape}, on the model's manager, in
   * float32 or in the model's storage dtype (the model stores it as its precision says either way).
   */
  NDArray get(String name, long... shape);

  /**
   * This source for a family whose norms scale by {@code 1 + w} (Gemma's): a random initialisation gives their weights
   * 0, not 1, as transformers initialises them; a checkpoint is read as it is.
   */
  default WeightSource withZeroCentredNorms() {
    return this;
  }

  /**
   * Called by the model with each decoder layer as soon as its weights are read, before the next layer's are: a
   * source may store the layer otherwise there. Nothing by default.
   */
  default void layerRead(DecoderLayer layer) {}

  /**
   * This source, {@code store} given each decoder layer once read ({@link #layerRead}): a 4-bit base quantizes
   * there, so that the full-precision weights of one layer exist at a time, never those of the whole model.
   */
  default WeightSource storingLayers(java.util.function.Consumer<DecoderLayer> store) {
    return new StoringLayers(this, store);
  }

  /** A source whose decoder layers are handed to {@code store} once read. */
  record StoringLayers(WeightSource source, java.util.function.Consumer<DecoderLayer> store) implements WeightSource {
    @Override
    public NDArray get(String name, long... shape) {
      return source.get(name, shape);
    }

    @Override
    public WeightSource withZeroCentredNorms() {
      return new StoringLayers(source.withZeroCentredNorms(), store);
    }

    @Override
    public void layerRead(DecoderLayer layer) {
      source.layerRead(layer);
      store.accept(layer);
    }
  }

  /**
   * Transformers' initialisation: normal(0, std) for linear and embedding weights, ones for norms (zeros with {@link
   * #withZeroCentredNorms}), zero biases.
   */
  static WeightSource random(NDManager manager, double std, long seed) {
    java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
    return initialised(manager, s -> {
      float[] values = new float[Math.toIntExact(s.size())];
      java.util.Random gaussian = new java.util.Random(random.nextLong());
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) (gaussian.nextGaussian() * std);
      }
      return Tensors.of(manager, values, s);
    });
  }

  /**
   * The same distribution as {@link #random} drawn by the engine itself (its generator, seeded by {@code
   * Engine.setRandomSeed}), so that nothing passes through the Java heap: for benchmarks of large configs, where the
   * values do not matter but a model that is read from disk (mapped, straight into native memory) should not look
   * bigger than it is. Not reproducible across engines or versions, unlike {@link #random}.
   */
  static WeightSource randomInEngine(NDManager manager, double std) {
    return initialised(manager, s -> manager.randomNormal(0f, (float) std, s, DataType.FLOAT32));
  }

  /** Ones for norms, zero biases, {@code normal} of the shape for everything else. */
  private static WeightSource initialised(NDManager manager, java.util.function.Function<Shape, NDArray> normal) {
    return new Initialisation(manager, normal, 1f);
  }

  /** A random initialisation: {@code norm} for norm weights, zero biases, {@code normal} of the shape otherwise. */
  record Initialisation(NDManager manager, java.util.function.Function<Shape, NDArray> normal, float norm)
      implements WeightSource {

    @Override
    public NDArray get(String name, long... shape) {
      Shape s = new Shape(shape);
      if (name.endsWith("norm.weight")) {
        return manager.full(s, norm);
      }
      if (name.endsWith(".bias")) {
        return manager.zeros(s, DataType.FLOAT32);
      }
      return normal.apply(s);
    }

    @Override
    public WeightSource withZeroCentredNorms() {
      return new Initialisation(manager, normal, 0f);
    }
  }
}
