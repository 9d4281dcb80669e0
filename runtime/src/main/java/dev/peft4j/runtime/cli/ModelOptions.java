package dev.peft4j.runtime.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.peft4j.runtime.model.llama.LlamaForCausalLM;
import dev.peft4j.runtime.model.llama.ModelFiles;
import dev.peft4j.runtime.tokenizer.Tokenizer;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** A model folder to load, shared by the commands that use a trained model. */
final class ModelOptions {

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "A Hugging Face model folder.")
  Path model;

  /** The model and its tokenizer, loaded together; closing it frees both. */
  Loaded load() {
    Engine engine = Engine.getEngine("PyTorch");
    NDManager manager = engine.newBaseManager(engine.defaultDevice());
    try {
      Tokenizer tokenizer = Tokenizer.load(model);
      return new Loaded(ModelFiles.load(model, manager), tokenizer, manager);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  record Loaded(LlamaForCausalLM model, Tokenizer tokenizer, NDManager manager) implements AutoCloseable {
    @Override
    public void close() {
      tokenizer.close();
      manager.close();
    }
  }
}
