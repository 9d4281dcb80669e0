/**
 * Using a model: text generation, greedy or sampled ({@link dev.peft4j.runtime.generate.Generator}), and
 * held-out exact match of its answers ({@link dev.peft4j.runtime.generate.Evaluation}).
 */
package dev.peft4j.runtime.generate;
