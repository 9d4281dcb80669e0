/**
 * Building blocks of models on DJL's PyTorch engine: parameters and modules, linear layers (a 4-bit NF4 one
 * included, its scales double-quantized if asked), attention, RMSNorm, and the TorchScript module of fused operations ({@link
 * dev.peft4j.runtime.nn.TorchOps}) that gives bf16 and fast paths DJL's API lacks.
 */
package dev.peft4j.runtime.nn;
