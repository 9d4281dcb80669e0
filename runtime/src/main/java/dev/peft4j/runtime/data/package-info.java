/**
 * Training data: alpaca and sharegpt JSON lines and plain text read strictly ({@link
 * dev.peft4j.runtime.data.DataReader}), rendered with the model's chat template, tokenized with the answer's tokens
 * the only ones counted ({@link dev.peft4j.runtime.data.Datasets}), and batched by number so that a resumed run
 * sees the batches the interrupted one would have ({@link dev.peft4j.runtime.data.Batches}).
 */
package dev.peft4j.runtime.data;
