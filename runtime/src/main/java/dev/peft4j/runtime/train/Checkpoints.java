package dev.peft4j.runtime.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Where a trainer keeps its checkpoints. */
public interface Checkpoints {

  /** Writes a checkpoint atomically; returns its folder. */
  Path save(TrainerState state, Map<String, NDArray> trainable, Map<String, NDArray> optimizer);

  /** A saved checkpoint, read back. */
  record Saved(Path folder, TrainerState state, Map<String, NDArray> trainable, Map<String, NDArray> optimizer) {}

  /** The newest complete checkpoint, if any, with its tensors on {@code manager}. */
  Optional<Saved> latest(NDManager manager);

  /** Keeps nothing: for tests and runs that ask for no checkpoint. */
  Checkpoints NONE = new Checkpoints() {
    @Override
    public Path save(TrainerState state, Map<String, NDArray> trainable, Map<String, NDArray> optimizer) {
      return null;
    }

    @Override
    public Optional<Saved> latest(NDManager manager) {
      return Optional.empty();
    }
  };
}
