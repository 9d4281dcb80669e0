/**
 * {@code peft4j validate}: a run's settings checked all at once — the runtime's, every chosen method's, the model's
 * {@code config.json} against them, and the rules between methods ({@link dev.peft4j.runtime.validate.RunValidator}) —
 * into one report of every problem with its file, line and key ({@link
 * dev.peft4j.runtime.validate.ValidationReport}).
 */
package dev.peft4j.runtime.validate;
