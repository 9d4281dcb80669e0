package dev.peft4j.runtime.setup;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.peft4j.runtime.io.AdapterFiles;
import dev.peft4j.runtime.io.safetensors.SafetensorsWriter;
import dev.peft4j.runtime.model.ModelConfig;
import dev.peft4j.runtime.model.TinyModels;
import dev.peft4j.runtime.testing.Fuzzing;
import dev.peft4j.runtime.testing.Runs;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * adapter_config.json as the fuzzer writes it, next to the weights of a rank-2 LoRA adapter of q_proj and v_proj,
 * attached to a tiny model as {@code generate}, {@code evaluate} and {@code merge} attach it: read, claimed by a
 * method, its settings read and checked, applied, loaded strictly.
 */
class AdapterConfigFuzzTest {

  private static final Path FOLDER = Fuzzing.folder("adapter");
  private static final ModelConfig CONFIG = TinyModels.config("llama", false);
  private static final NDManager MANAGER = Engine.getEngine("PyTorch").newBaseManager();

  static {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    for (int layer = 0; layer < CONFIG.numLayers(); layer++) {
      for (String module : new String[] {"q_proj", "v_proj"}) {
        long out = module.equals("q_proj") ? (long) CONFIG.numHeads() * CONFIG.headDim()
            : (long) CONFIG.numKvHeads() * CONFIG.headDim();
        String prefix = "base_model.model.model.layers." + layer + ".self_attn." + module;
        tensors.put(prefix + ".lora_A.weight", MANAGER.randomNormal(new Shape(2, CONFIG.hiddenSize())));
        tensors.put(prefix + ".lora_B.weight", MANAGER.randomNormal(new Shape(out, 2)));
      }
    }
    SafetensorsWriter.write(FOLDER.resolve(AdapterFiles.WEIGHTS), tensors, Map.of("format", "pt"));
  }

  @FuzzTest(maxDuration = "4s")
  void fuzz(byte[] input) {
    fuzzerTestOneInput(input);
  }

  public static void fuzzerTestOneInput(byte[] input) {
    Fuzzing.write(FOLDER.resolve(AdapterFiles.CONFIG), input);
    try (NDManager manager = MANAGER.newSubManager()) {
      Fuzzing.expectWorksOrUserError(() -> Adapters.attach(FOLDER, TinyModels.random(manager, CONFIG, 1),
          Runs.discovery(), manager).close());
    }
  }
}
