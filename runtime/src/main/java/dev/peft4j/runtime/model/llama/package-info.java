/**
 * The Llama family: the {@code llama}, {@code mistral} and {@code qwen2} model types, as transformers' modeling
 * files compute them (RMSNorm, rotary embeddings with their scalings, grouped-query attention, Mistral's sliding
 * window, SwiGLU), in fp32 or bf16, with a key/value cache for decoding. Nothing outside this package names its
 * classes but the registry's entry.
 */
package dev.peft4j.runtime.model.llama;
