package dev.peft4j.runtime.model;

import dev.peft4j.api.plan.ParameterShape;
import dev.peft4j.runtime.Names;
import dev.peft4j.runtime.io.safetensors.SafetensorsCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The checks a model folder passes before a run uses it, the same for {@code validate}, {@code plan} and
 * {@code train}: its config.json read strictly (by its family), and, when the folder holds weights, the
 * weights against the config: every tensor the model needs, of its shape, and no tensor it would not use (a
 * config of 2 layers over weights of 4 would silently train another model). Only the safetensors headers are
 * read. A folder of config.json alone (to plan a model not downloaded yet) has its config checked.
 */
public final class ModelCheck {

  /** How many names a message lists. */
  private static final int NAMED = 8;

  private ModelCheck() {}

  /**
   * @throws ModelConfigException naming what is wrong
   * @throws dev.peft4j.runtime.io.safetensors.SafetensorsException when a weights file is malformed
   */
  public static ModelConfig check(Path folder) {
    ModelConfig config = ModelFamilies.BUILT_IN.read(folder);
    if (Files.isRegularFile(folder.resolve(SafetensorsCheckpoint.SINGLE_FILE))
        || Files.isRegularFile(folder.resolve(SafetensorsCheckpoint.INDEX_FILE))) {
      try (SafetensorsCheckpoint weights = SafetensorsCheckpoint.open(folder)) {
        Map<String, long[]> present = new LinkedHashMap<>();
        for (String name : weights.names()) {
          present.put(name, weights.info(name).shape());
        }
        requireMatch(folder, config, present);
      }
    }
    return config;
  }

  /** The tensors {@code present} (name and shape) against what {@code config} builds. */
  static void requireMatch(Path folder, ModelConfig config, Map<String, long[]> present) {
    List<String> missing = new ArrayList<>();
    List<String> misshapen = new ArrayList<>();
    Map<String, long[]> unused = new LinkedHashMap<>(present);
    for (ParameterShape parameter : ModelFamilies.BUILT_IN.of(config).shape(config, false, 4).parameters()) {
      long[] expected = parameter.shape().stream().mapToLong(Long::longValue).toArray();
      long[] found = unused.remove(parameter.name());
      if (found == null) {
        missing.add(parameter.name());
      } else if (!Arrays.equals(found, expected)) {
        misshapen.add(parameter.name() + " is " + Arrays.toString(found) + ", config.json makes it "
            + Arrays.toString(expected));
      }
    }
    // What transformers also ignores: a tied lm_head saved anyway, and the rotary buffers older versions saved.
    if (config.tieWordEmbeddings()) {
      unused.remove("lm_head.weight");
    }
    unused.keySet().removeIf(name -> name.endsWith("rotary_emb.inv_freq"));
    List<String> problems = new ArrayList<>();
    if (!missing.isEmpty()) {
      problems.add(missing.size() + " tensors config.json needs are missing: " + Names.firstFew(missing, NAMED, ", "));
    }
    if (!misshapen.isEmpty()) {
      problems.add(misshapen.size() + " tensors have another shape: " + Names.firstFew(misshapen, NAMED, ", "));
    }
    if (!unused.isEmpty()) {
      problems.add(unused.size() + " tensors would be left unused: "
          + Names.firstFew(new ArrayList<>(unused.keySet()), NAMED, ", "));
    }
    if (!problems.isEmpty()) {
      throw new ModelConfigException(folder.resolve("config.json") + " does not describe the weights in " + folder
          + " (num_hidden_layers " + config.numLayers() + ", hidden_size " + config.hiddenSize() + ", vocab_size "
          + config.vocabSize() + "): " + String.join("; ", problems) + ". Correct config.json to what the weights "
          + "hold (as transformers saved it), or use the folder the weights came from");
    }
  }

}
