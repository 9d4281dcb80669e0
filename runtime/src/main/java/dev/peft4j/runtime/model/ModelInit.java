package dev.peft4j.runtime.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.peft4j.runtime.io.AtomicFolders;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.tokenizer.Tokenizer;
import dev.peft4j.runtime.tokenizer.TokenizerFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Makes a randomly initialised model folder (of the llama model type for a named size) with a character tokenizer, so that demos, tests
 * and benchmarks need no download ({@code peft4j init-model}).
 */
public final class ModelInit {

  /** The family the named sizes ({@code --size tiny}) are made in. */
  static final ModelFamily NAMED_SIZES_FAMILY = ModelFamilies.BUILT_IN.of("llama").orElseThrow();

  private ModelInit() {}

  /**
   * Writes a model of a named size, or of the sizes in {@code configJson}, to {@code folder} (which
   * must not exist), initialised as transformers does with {@code initializer_range} 0.02.
   */
  public static ModelConfig write(Path folder, Optional<ModelSizes> size, Optional<Path> configJson, long seed) {
    if (Files.exists(folder)) {
      throw new ModelConfigException(folder + " already exists: choose another folder or delete it first");
    }
    Path tokenizerFolder = folder.resolveSibling("." + folder.getFileName() + ".tokenizer");
    try {
      TokenizerFiles.writeCharacterTokenizer(tokenizerFolder, List.of());
      ModelConfig config;
      try (Tokenizer tokenizer = Tokenizer.load(tokenizerFolder)) {
        Map<String, Integer> special = new LinkedHashMap<>();
        tokenizer.bosId().ifPresent(id -> special.put("bos_token_id", id));
        special.put("eos_token_id", tokenizer.eosId());
        special.put("pad_token_id", tokenizer.padId());
        if (size.isPresent()) {
          config = size.get().config(NAMED_SIZES_FAMILY, tokenizer.vocabSize(), special);
        } else {
          config = ModelFamilies.BUILT_IN.readFile(configJson.orElseThrow());
          if (config.vocabSize() < tokenizer.vocabSize()) {
            throw new ModelConfigException(configJson.get() + ": vocab_size " + config.vocabSize()
                + " is smaller than the character tokenizer's " + tokenizer.vocabSize() + " tokens");
          }
        }
      }
      ModelConfig chosen = config;
      Engine engine = Engine.getEngine("PyTorch");
      try (NDManager manager = engine.newBaseManager()) {
        CausalLm model = ModelFamilies.BUILT_IN.of(chosen).create(chosen, WeightSource.random(manager, 0.02, seed),
            Precision.FP32);
        ModelFiles.save(model, folder, tokenizerFolder);
      }
      return chosen;
    } finally {
      AtomicFolders.delete(tokenizerFolder);
    }
  }
}
