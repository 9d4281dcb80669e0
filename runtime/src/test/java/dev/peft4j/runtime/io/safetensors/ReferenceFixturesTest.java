package dev.peft4j.runtime.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.peft4j.runtime.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Files written by Python's safetensors and by transformers' save_pretrained read as Python reads them. */
public class ReferenceFixturesTest {

  private static final Map<String, String> TORCH_TO_SAFETENSORS = Map.of(
      "float32", "F32", "float16", "F16", "bfloat16", "BF16", "int64", "I64");

  @Test
  void f32F16AndBf16TensorsWrittenByPythonReadBitForBitAsPythonReadsThem() {
    JsonObject expected = Fixtures.json(Fixtures.path("safetensors/dtypes.json"));
    JsonObject tensors = expected.getAsJsonObject("tensors");
    try (SafetensorsFile file = SafetensorsFile.open(Fixtures.path("safetensors/dtypes.safetensors"))) {
      assertThat(file.metadata()).isEqualTo(strings(expected.getAsJsonObject("metadata")));
      assertThat(file.tensors().keySet()).containsExactlyInAnyOrderElementsOf(tensors.keySet());
      int checked = 0;
      for (String name : tensors.keySet()) {
        JsonObject entry = tensors.getAsJsonObject(name);
        TensorInfo info = file.tensors().get(name);
        assertThat(info.dtype()).as(name).isEqualTo(TORCH_TO_SAFETENSORS.get(entry.get("dtype").getAsString()));
        assertThat(info.shape()).as(name).isEqualTo(longs(entry.getAsJsonArray("shape")));
        if (!entry.has("bits")) {
          assertThatThrownBy(() -> file.readFloats(name)).isInstanceOf(SafetensorsException.class)
              .hasMessageContaining("is I64; peft4j reads only floating-point tensors");
          continue;
        }
        JsonArray bits = entry.getAsJsonArray("bits");
        float[] values = file.readFloats(name);
        assertThat(values).as(name).hasSize(bits.size());
        for (int i = 0; i < values.length; i++) {
          assertThat(Integer.toHexString(Float.floatToRawIntBits(values[i])))
              .as("%s[%d] = %s", name, i, values[i]).isEqualTo(Integer.toHexString((int) bits.get(i).getAsLong()));
          checked++;
        }
      }
      assertThat(checked).isGreaterThan(100);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {Fixtures.LLAMA, Fixtures.QWEN2, Fixtures.QWEN3, Fixtures.PHI3, Fixtures.GEMMA2, Fixtures.LLAMA3})
  void everyTensorOfATinyModelHasTheNameShapeAndValuesItsConfigAndPythonSay(String model) {
    Path folder = Fixtures.path(model);
    JsonObject config = Fixtures.json(folder.resolve("config.json"));
    Map<String, long[]> expectedShapes = expectedShapes(config);
    String dtype = TORCH_TO_SAFETENSORS.get(config.has("dtype") ? config.get("dtype").getAsString()
        : config.get("torch_dtype").getAsString());
    JsonObject summary = Fixtures.json(folder.resolve("tensors.json"));

    try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(folder); NDManager manager = NDManager.newBaseManager()) {
      assertThat(checkpoint.names()).containsExactlyInAnyOrderElementsOf(expectedShapes.keySet());
      Set<Path> files = new HashSet<>();
      for (Map.Entry<String, long[]> e : expectedShapes.entrySet()) {
        String name = e.getKey();
        JsonObject python = summary.getAsJsonObject(name);
        assertThat(checkpoint.info(name).dtype()).as(name).isEqualTo(dtype).isEqualTo(python.get("dtype").getAsString());
        assertThat(checkpoint.fileOf(name).getFileName().toString()).isEqualTo(python.get("file").getAsString());
        files.add(checkpoint.fileOf(name));
        NDArray tensor = checkpoint.read(name, manager, e.getValue());
        float[] values = tensor.toFloatArray();
        double sum = 0;
        double absSum = 0;
        for (float v : values) {
          assertThat(Float.isFinite(v)).as(name).isTrue();
          sum += v;
          absSum += Math.abs(v);
        }
        assertThat(sum).as(name + " sum").isCloseTo(python.get("sum").getAsDouble(), within(1e-9 * absSum + 1e-12));
        assertThat(absSum).as(name + " |sum|").isCloseTo(python.get("abs_sum").getAsDouble(), within(1e-9 * absSum + 1e-12));
        JsonArray first = python.getAsJsonArray("first");
        for (int i = 0; i < first.size(); i++) {
          assertThat(values[i]).as(name + "[" + i + "]").isEqualTo(first.get(i).getAsFloat());
        }
        if (name.endsWith("_proj.bias")) {
          assertThat(absSum).as(name + " is not zero").isGreaterThan(0.1);
        }
        if (dtype.equals("BF16")) { // decoded bf16: the low 16 bits of every float32 are zero
          for (float v : values) {
            assertThat(Float.floatToRawIntBits(v) & 0xffff).isZero();
          }
        }
        tensor.close();
      }
      if (model.equals(Fixtures.LLAMA3)) {
        assertThat(checkpoint.source().getFileName().toString()).isEqualTo(SafetensorsCheckpoint.INDEX_FILE);
        assertThat(files).hasSizeGreaterThanOrEqualTo(2);
      } else {
        assertThat(files).containsExactly(folder.resolve(SafetensorsCheckpoint.SINGLE_FILE));
      }
    }
  }

  @Test
  void theFixturesAreSmallAndSayHowTheyWereMade() throws Exception {
    assertThat(Files.readString(Fixtures.path("README.md"))).contains("make_fixtures.py", "transformers");
    for (String model : new String[] {Fixtures.LLAMA, Fixtures.QWEN2, Fixtures.QWEN3, Fixtures.PHI3, Fixtures.GEMMA2, Fixtures.LLAMA3}) {
      JsonObject expected = Fixtures.json(Fixtures.path(model).resolve("expected.json"));
      JsonArray shape = expected.getAsJsonArray("shape");
      assertThat(expected.getAsJsonArray("logits").size())
          .isEqualTo(shape.get(0).getAsInt() * shape.get(1).getAsInt() * shape.get(2).getAsInt());
      assertThat(expected.getAsJsonArray("attention_mask").get(1).getAsJsonArray().get(shape.get(1).getAsInt() - 1).getAsInt())
          .as("the second sequence is right-padded").isZero();
    }
  }

  /** The Hugging Face names and shapes of a Llama-family model (Llama, Mistral, Qwen2, Qwen3), a Gemma 2 or a Phi-3 of this config.json. */
  public static Map<String, long[]> expectedShapes(JsonObject config) {
    long hidden = config.get("hidden_size").getAsLong();
    long intermediate = config.get("intermediate_size").getAsLong();
    long heads = config.get("num_attention_heads").getAsLong();
    long kvHeads = config.has("num_key_value_heads") ? config.get("num_key_value_heads").getAsLong() : heads;
    long headDim = config.has("head_dim") && !config.get("head_dim").isJsonNull() ? config.get("head_dim").getAsLong() : hidden / heads;
    long vocab = config.get("vocab_size").getAsLong();
    String type = config.get("model_type").getAsString();
    boolean attentionBias = config.has("attention_bias") && config.get("attention_bias").getAsBoolean();
    boolean qkvBias = type.equals("qwen2") || attentionBias;
    Map<String, long[]> shapes = new LinkedHashMap<>();
    shapes.put("model.embed_tokens.weight", new long[] {vocab, hidden});
    if (type.equals("phi3")) {
      for (int i = 0; i < config.get("num_hidden_layers").getAsInt(); i++) {
        String layer = "model.layers." + i + ".";
        shapes.put(layer + "input_layernorm.weight", new long[] {hidden});
        shapes.put(layer + "post_attention_layernorm.weight", new long[] {hidden});
        shapes.put(layer + "self_attn.qkv_proj.weight", new long[] {(heads + 2 * kvHeads) * headDim, hidden});
        shapes.put(layer + "self_attn.o_proj.weight", new long[] {hidden, heads * headDim});
        shapes.put(layer + "mlp.gate_up_proj.weight", new long[] {2 * intermediate, hidden});
        shapes.put(layer + "mlp.down_proj.weight", new long[] {hidden, intermediate});
      }
      shapes.put("model.norm.weight", new long[] {hidden});
      shapes.put("lm_head.weight", new long[] {vocab, hidden});
      return shapes;
    }
    for (int i = 0; i < config.get("num_hidden_layers").getAsInt(); i++) {
      String layer = "model.layers." + i + ".";
      shapes.put(layer + "input_layernorm.weight", new long[] {hidden});
      shapes.put(layer + "post_attention_layernorm.weight", new long[] {hidden});
      shapes.put(layer + "self_attn.q_proj.weight", new long[] {heads * headDim, hidden});
      shapes.put(layer + "self_attn.k_proj.weight", new long[] {kvHeads * headDim, hidden});
      shapes.put(layer + "self_attn.v_proj.weight", new long[] {kvHeads * headDim, hidden});
      shapes.put(layer + "self_attn.o_proj.weight", new long[] {hidden, heads * headDim});
      if (qkvBias) {
        shapes.put(layer + "self_attn.q_proj.bias", new long[] {heads * headDim});
        shapes.put(layer + "self_attn.k_proj.bias", new long[] {kvHeads * headDim});
        shapes.put(layer + "self_attn.v_proj.bias", new long[] {kvHeads * headDim});
      }
      if (attentionBias && !type.equals("qwen2")) {
        shapes.put(layer + "self_attn.o_proj.bias", new long[] {hidden});
      }
      if (type.equals("gemma2")) {
        shapes.put(layer + "pre_feedforward_layernorm.weight", new long[] {hidden});
        shapes.put(layer + "post_feedforward_layernorm.weight", new long[] {hidden});
      }
      if (type.equals("qwen3")) {
        shapes.put(layer + "self_attn.q_norm.weight", new long[] {headDim});
        shapes.put(layer + "self_attn.k_norm.weight", new long[] {headDim});
      }
      shapes.put(layer + "mlp.gate_proj.weight", new long[] {intermediate, hidden});
      shapes.put(layer + "mlp.up_proj.weight", new long[] {intermediate, hidden});
      shapes.put(layer + "mlp.down_proj.weight", new long[] {hidden, intermediate});
    }
    shapes.put("model.norm.weight", new long[] {hidden});
    // Gemma2Config ties them unless told otherwise; the others do not
    boolean tied = config.has("tie_word_embeddings") ? config.get("tie_word_embeddings").getAsBoolean() : type.equals("gemma2");
    if (!tied) {
      shapes.put("lm_head.weight", new long[] {vocab, hidden});
    }
    return shapes;
  }

  private static long[] longs(JsonArray array) {
    long[] result = new long[array.size()];
    for (int i = 0; i < result.length; i++) {
      result[i] = array.get(i).getAsLong();
    }
    return result;
  }

  private static Map<String, String> strings(JsonObject object) {
    Map<String, String> result = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : object.entrySet()) {
      result.put(e.getKey(), e.getValue().getAsString());
    }
    return result;
  }
}
