/**
 * The one training loop every method shares ({@link dev.peft4j.runtime.train.Trainer}): staged forward and
 * backward passes with checkpointing, AdamW, the schedule, evaluation; what follows a run is a {@link
 * dev.peft4j.runtime.train.TrainingListener} (the progress bar, {@link dev.peft4j.runtime.train.MetricsLog}, {@link
 * dev.peft4j.runtime.train.CheckpointWriter}); checkpoints that resume exactly ({@link
 * dev.peft4j.runtime.train.FileCheckpoints}).
 */
package dev.peft4j.runtime.train;
