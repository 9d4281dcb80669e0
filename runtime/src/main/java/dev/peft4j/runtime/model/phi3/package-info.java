/**
 * The Phi-3 family ({@code model_type} phi3): Llama's pre-norm decoder with the query, key and value projections
 * fused into one {@code qkv_proj} and the gate and up projections into one {@code gate_up_proj}, and a sliding window.
 */
package dev.peft4j.runtime.model.phi3;
