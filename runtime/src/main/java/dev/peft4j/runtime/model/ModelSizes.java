package dev.peft4j.runtime.model;

import java.util.Locale;
import java.util.Map;

/** The named sizes {@code peft4j init-model} makes: decoders small enough to train on a CPU. */
public enum ModelSizes {
  /** ~0.8 M parameters: the quick start (README.md) trains it in minutes on 2 cores. */
  TINY(128, 344, 4, 4, 2, 256),
  /** ~22 M parameters: the size the benchmarks use. */
  SMALL(512, 1376, 8, 8, 4, 512);

  private final int hidden;
  private final int intermediate;
  private final int layers;
  private final int heads;
  private final int kvHeads;
  private final int maxPositions;

  ModelSizes(int hidden, int intermediate, int layers, int heads, int kvHeads, int maxPositions) {
    this.hidden = hidden;
    this.intermediate = intermediate;
    this.layers = layers;
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.maxPositions = maxPositions;
  }

  public int hidden() {
    return hidden;
  }

  public int intermediate() {
    return intermediate;
  }

  public int layers() {
    return layers;
  }

  public int heads() {
    return heads;
  }

  public int kvHeads() {
    return kvHeads;
  }

  public int maxPositions() {
    return maxPositions;
  }

  /** The config of this size in {@code family} for a tokenizer of {@code vocabSize} tokens with the given special ids. */
  public ModelConfig config(ModelFamily family, int vocabSize, Map<String, Integer> specialIds) {
    return family.sized(this, vocabSize, specialIds);
  }

  public String displayName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
