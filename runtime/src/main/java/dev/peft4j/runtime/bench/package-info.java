/**
 * Benchmark harnesses run by {@code bench/}: a training step's time, throughput and memory on random tokens, for
 * comparison with transformers and PEFT on the same shapes. Not used by training itself.
 */
package dev.peft4j.runtime.bench;
