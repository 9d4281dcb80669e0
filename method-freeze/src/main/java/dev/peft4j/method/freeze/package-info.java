/**
 * Freeze tuning (the last or first n decoder layers train, as LLaMA-Factory's {@code freeze}) and full
 * fine-tuning ({@code full}): parameter selectors.
 */
package dev.peft4j.method.freeze;
