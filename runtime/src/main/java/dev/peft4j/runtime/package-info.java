/**
 * peft4j as a library: {@link dev.peft4j.runtime.Peft4j} discovers the methods and validates, plans and trains
 * runs ({@link dev.peft4j.runtime.TrainingRun}); {@link dev.peft4j.runtime.LoadedModel} generates with a model,
 * evaluates it, and applies methods to it. The command line is built on these.
 */
package dev.peft4j.runtime;
