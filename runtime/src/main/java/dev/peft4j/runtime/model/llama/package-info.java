/**
 * The Llama family: the {@code llama}, {@code mistral}, {@code qwen2} and {@code qwen3} model types, as transformers'
 * modeling files compute them (RMSNorm, rotary embeddings with their scalings, grouped-query attention, Qwen3's q/k
 * norms, Mistral's sliding window, SwiGLU) on {@link dev.peft4j.runtime.model.DecoderModel}. Nothing outside this
 * package names its classes but the registry's entry.
 */
package dev.peft4j.runtime.model.llama;
