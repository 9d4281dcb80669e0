/**
 * A training run's life in {@code output.dir}: the session that loads, trains and writes ({@link
 * dev.peft4j.runtime.run.TrainingSession}), one run at a time ({@link dev.peft4j.runtime.run.RunLock}), no run on top of
 * another's results, and a resume that continues only the run that wrote the checkpoint ({@link
 * dev.peft4j.runtime.run.RunFolder}, {@link dev.peft4j.runtime.run.CheckpointFit}).
 */
package dev.peft4j.runtime.run;
