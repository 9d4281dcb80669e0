/**
 * LoRA as Hugging Face PEFT computes and saves it, with rsLoRA, DoRA, PiSSA initialisation, LoRA+ learning
 * rates and a 4-bit (NF4) base: an adapter method whose files PEFT loads.
 */
package dev.peft4j.method.lora;
