/**
 * {@code peft4j plan}: the trainable and total parameter counts as PEFT prints them, the bytes of weights,
 * gradients and optimizer state, and a peak-memory estimate ({@link dev.peft4j.runtime.plan.MemoryModel}), from
 * {@code config.json} alone; {@code plan --fit} searches for settings that fit ({@link
 * dev.peft4j.runtime.plan.FitSearch}).
 */
package dev.peft4j.runtime.plan;
