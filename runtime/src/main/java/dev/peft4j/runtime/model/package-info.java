/**
 * The model seam: what the trainer, the generator, the planner and the kit work against. A {@link
 * dev.peft4j.runtime.model.CausalLm} is a causal language model in stages, and decodes with a key/value cache through
 * a {@link dev.peft4j.runtime.model.DecodingSession}; a {@link
 * dev.peft4j.runtime.model.ModelFamily}, keyed by {@code config.json}'s {@code model_type}, reads its config, builds
 * it, describes its shapes and prices its activations; {@link dev.peft4j.runtime.model.ModelFamilies} is the registry.
 * {@link dev.peft4j.runtime.model.ModelFiles} loads and saves Hugging Face folders of any family.
 */
package dev.peft4j.runtime.model;
