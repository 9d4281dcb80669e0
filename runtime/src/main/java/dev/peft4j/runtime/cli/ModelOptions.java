package dev.peft4j.runtime.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.peft4j.api.AdapterMethod;
import dev.peft4j.runtime.model.llama.LlamaForCausalLM;
import dev.peft4j.runtime.model.llama.ModelFiles;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.plugin.Discovery;
import dev.peft4j.runtime.run.Adapters;
import dev.peft4j.runtime.tokenizer.Tokenizer;
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

  /** The model (with the adapter, if one is given) and its tokenizer, loaded together; closing it frees both. */
  /** @param withTokenizer whether the command needs the tokenizer (merge does not; its tokenizer may be null) */
  Loaded load(Discovery discovery, boolean withTokenizer) {
    Engine engine = Engine.getEngine("PyTorch");
    NDManager manager = engine.newBaseManager(engine.defaultDevice());
    try {
      Tokenizer tokenizer = withTokenizer ? Tokenizer.load(model) : null;
      // A bf16 base is held in bf16 (half the memory; a merge into it rounds once, as PEFT's does), computed in fp32
      // otherwise, as generate and evaluate compute.
      LlamaForCausalLM loaded = ModelFiles.load(model, manager, withTokenizer || !"BF16".equals(ModelFiles.weightsDtype(model))
          ? Precision.FP32 : Precision.BF16);
      java.util.Set<String> baseNames = java.util.Set.copyOf(loaded.namedParameters().keySet());
      AdapterMethod attached = adapter == null ? null : Adapters.attach(adapter, loaded, discovery, manager);
      return new Loaded(loaded, tokenizer, manager, attached, baseNames);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /**
   * @param adapter the attached adapter, or null
   * @param baseNames the parameters of the model before the adapter added its own
   */
  record Loaded(LlamaForCausalLM model, Tokenizer tokenizer, NDManager manager, AdapterMethod adapter,
      java.util.Set<String> baseNames) implements AutoCloseable {
    @Override
    public void close() {
      if (tokenizer != null) {
        tokenizer.close();
      }
      manager.close();
    }
  }
}
