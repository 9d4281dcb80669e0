/**
 * peft4j's own reader and writer of the safetensors format (DJL's decoder crashes on BF16 and reads whole files
 * into one {@code byte[]}): {@link dev.peft4j.runtime.io.safetensors.SafetensorsFile} (one file, memory-mapped),
 * {@link dev.peft4j.runtime.io.safetensors.SafetensorsCheckpoint} (a Hugging Face model folder, single or sharded),
 * {@link dev.peft4j.runtime.io.safetensors.SafetensorsWriter} (atomic F32, BF16 or F16 files and shards), and
 * {@link dev.peft4j.runtime.io.safetensors.HalfFloats}, the only place where bf16 and f16 bits are converted.
 * Tensors come out as FLOAT32 NDArrays: DJL is never handed {@code BFLOAT16}.
 */
package dev.peft4j.runtime.io.safetensors;
