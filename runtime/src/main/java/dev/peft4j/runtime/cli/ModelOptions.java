package dev.peft4j.runtime.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** A model folder to load, shared by the commands that use a trained model. */
final class ModelOptions {

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "A Hugging Face model folder.")
  Path model;

  @Option(names = "--adapter", paramLabel = "DIR",
      description = "An adapter folder in PEFT's layout (adapter_config.json, adapter_model.safetensors) to apply to "
          + "the model, of any installed adapter method that reads its peft_type (lora, or a plugin's).")
  Path adapter;
}
