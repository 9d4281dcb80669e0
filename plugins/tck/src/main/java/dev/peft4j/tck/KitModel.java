package dev.peft4j.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.runtime.io.AtomicFolders;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelConfig;
import dev.peft4j.runtime.model.ModelFamilies;
import dev.peft4j.runtime.model.ModelFiles;
import dev.peft4j.runtime.model.WeightSource;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.Tensors;
import dev.peft4j.runtime.tokenizer.TokenizerFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apiguardian.api.API;

/**
 * The model every check runs on: a decoder small enough that a training step takes milliseconds, made in the test
 * with a fixed seed (nothing is downloaded) and written as a Hugging Face folder, so that the checks load it as a run
 * loads a model. Of model type {@code llama} unless the contract asks for another ({@link MethodUnderTest#onModel}).
 *
 * <p>{@code llama}: hidden 32, intermediate 64, 2 decoder layers, 4 attention heads and 2 key/value heads (head_dim
 * 8), a character vocabulary of 100 tokens, untied {@code lm_head}. Per layer: {@code q_proj} and {@code o_proj}
 * [32, 32], {@code k_proj} and {@code v_proj} [16, 32], {@code gate_proj} and {@code up_proj} [64, 32], {@code
 * down_proj} [32, 64]; {@code lm_head} [100, 32]. 24,992 parameters.
 *
 * <p>{@code qwen3}: the same sizes with head_dim 16 (apart from hidden / heads) and Qwen3's per-head {@code q_norm}
 * and {@code k_norm} [16]: {@code q_proj} [64, 32], {@code k_proj} and {@code v_proj} [32, 32], {@code o_proj}
 * [32, 64]. 31,200 parameters.
 *
 * <p>{@code phi3}: the {@code llama} sizes with fused {@code qkv_proj} [64, 32] and {@code gate_up_proj} [128, 32]:
 * 24,992 parameters, as {@code llama}.
 *
 * <p>{@code gemma2}: the {@code llama} sizes with Gemma 2's four (1 + w) norms a layer, GeGLU, soft-caps, a sliding
 * window of 4 on layer 0 (shorter than the kit's rows) and an untied head: 25,120 parameters.
 *
 * <p>Weights are N(0, 0.2²) (norms 1), so that the logits spread (their standard deviation is about 1) and a small
 * change of the model shows in them.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class KitModel {

  public static final int HIDDEN = 32;
  public static final int INTERMEDIATE = 64;
  public static final int LAYERS = 2;
  public static final int HEADS = 4;
  public static final int KV_HEADS = 2;
  public static final int VOCAB = 100;
  public static final long SEED = 1234;
  /** The model types the kit can build its model as. */
  public static final List<String> MODEL_TYPES = List.of("llama", "qwen3", "phi3", "gemma2");
  static final double WEIGHT_STD = 0.2;

  /** The kit's input batch: 2 rows of 12 tokens, the second with 3 padding positions at the end. */
  static final int BATCH = 2;
  static final int LENGTH = 12;

  private KitModel() {}

  /** Writes the {@code llama} model folder (config.json, model.safetensors, a character tokenizer) to {@code folder}, which must not exist. */
  public static Path write(Path folder) {
    return write(folder, "llama");
  }

  /** Writes the model folder of {@code modelType}, one of {@link #MODEL_TYPES}, to {@code folder}, which must not exist. */
  public static Path write(Path folder, String modelType) {
    String own = switch (checked(modelType)) {
      case "qwen3" -> "\"head_dim\": 16, \"use_sliding_window\": false, \"hidden_act\": \"silu\",";
      case "gemma2" -> "\"head_dim\": 8, \"query_pre_attn_scalar\": 8, \"sliding_window\": 4, "
          + "\"hidden_activation\": \"gelu_pytorch_tanh\",";
      default -> "\"hidden_act\": \"silu\",";
    };
    Path work = folder.resolveSibling("." + folder.getFileName() + ".work");
    try {
      TokenizerFiles.writeCharacterTokenizer(work, List.of(), 64);
      Files.writeString(work.resolve("config.json"), """
          {"model_type": "%s", %s "hidden_size": %d, "intermediate_size": %d,
           "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d, "vocab_size": %d,
           "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
           "tie_word_embeddings": false, "attention_bias": false, "mlp_bias": false,
           "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2}
          """.formatted(modelType, own, HIDDEN, INTERMEDIATE, LAYERS, HEADS, KV_HEADS, VOCAB));
      ModelConfig config = ModelFamilies.BUILT_IN.readFile(work.resolve("config.json"));
      Engine engine = Engine.getEngine("PyTorch");
      try (NDManager manager = engine.newBaseManager(engine.defaultDevice())) {
        CausalLm model = ModelFamilies.BUILT_IN.of(config).create(config,
            WeightSource.random(manager, WEIGHT_STD, SEED), Precision.FP32);
        ModelFiles.save(model, folder, work);
      }
      return folder;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      AtomicFolders.delete(work);
    }
  }

  /** {@code modelType} if it is one of {@link #MODEL_TYPES}, else an IllegalArgumentException listing them. */
  static String checked(String modelType) {
    if (!MODEL_TYPES.contains(modelType)) {
      throw new IllegalArgumentException("the kit builds its model as one of " + MODEL_TYPES + ", not " + modelType);
    }
    return modelType;
  }

  /** The kit's token ids, {@code [BATCH, LENGTH]}, the same on every call; ids 3..99 (no special token). */
  static long[] inputIds() {
    java.util.Random random = new java.util.Random(SEED + 1);
    long[] ids = new long[BATCH * LENGTH];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = 3 + random.nextInt(VOCAB - 3);
    }
    return ids;
  }

  static int[][] attentionMask() {
    int[][] mask = new int[BATCH][LENGTH];
    for (int b = 0; b < BATCH; b++) {
      java.util.Arrays.fill(mask[b], 0, b == 0 ? LENGTH : LENGTH - 3, 1);
    }
    return mask;
  }

  /** The logits of the kit's batch, flattened, computed without gradients. */
  static float[] logits(CausalLm model, NDManager manager) {
    try (NDScope scope = new NDScope()) {
      NDArray ids = Tensors.of(manager, inputIds(), new Shape(BATCH, LENGTH));
      return model.forward(ids, attentionMask()).toFloatArray();
    }
  }
}
