package dev.peft4j.tck;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The engine's live arrays: every array attached to any manager under the engine's root manager (the run's
 * manager, its sub-managers, and every other manager the process opened), counted and summed in bytes. An
 * array that a step makes and never closes stays attached until its manager closes, so a leak shows here
 * exactly, without the noise of the process's resident memory.
 */
record LiveArrays(long count, long bytes) {

  static LiveArrays of(NDManager manager) {
    NDManager root = manager;
    while (root.getParentManager() != null && root.getParentManager() != root) {
      root = root.getParentManager();
    }
    long count = 0;
    long bytes = 0;
    for (NDArray array : root.getManagedArrays()) {
      if (array.isReleased()) {
        continue;
      }
      count++;
      bytes += array.getShape().size() * array.getDataType().getNumOfBytes();
    }
    return new LiveArrays(count, bytes);
  }

  @Override
  public String toString() {
    return count + " arrays, " + bytes + " B";
  }
}
