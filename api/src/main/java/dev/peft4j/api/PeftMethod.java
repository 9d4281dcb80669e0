package dev.peft4j.api;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import org.apiguardian.api.API;

/** The common type of a created method; see {@link AdapterMethod}, {@link ParameterSelector}, {@link OptimizerHook}. */
@API(status = EXPERIMENTAL, since = "0.1")
public interface PeftMethod extends AutoCloseable {

  /** Switches between training (dropout active) and evaluation; the runtime calls it around both. */
  default void setTraining(boolean training) {}

  /** Releases native memory the method holds (projectors, optimizer state). */
  @Override
  default void close() {}
}
