/**
 * The model as methods see it, without the runtime's classes: its structure from {@code config.json} ({@link
 * dev.peft4j.api.model.ModelInfo}), and once loaded its parameters and linear layers under their Hugging Face names
 * ({@link dev.peft4j.api.model.ModelView}), which an adapter wraps ({@link dev.peft4j.api.model.LinearLayer}).
 */
package dev.peft4j.api.model;
