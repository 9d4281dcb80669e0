/**
 * Tokenizers from a model folder's {@code tokenizer.json} (through DJL's Hugging Face tokenizers), and the
 * character tokenizer the tiny demo models ship with.
 */
package dev.peft4j.runtime.tokenizer;
