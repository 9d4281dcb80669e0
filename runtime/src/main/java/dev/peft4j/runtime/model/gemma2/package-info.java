/**
 * The Gemma 2 family ({@code model_type} gemma2): RMSNorms of {@code (1 + w)} before and after both attention and the
 * feed-forward, GeGLU, embeddings scaled by √hidden, soft-capped attention scores and logits, a query scale of its
 * own, layers alternating a sliding window and full attention, tied embeddings.
 */
package dev.peft4j.runtime.model.gemma2;
