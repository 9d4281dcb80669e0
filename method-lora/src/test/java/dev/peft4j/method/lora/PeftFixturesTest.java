package dev.peft4j.method.lora;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.peft4j.runtime.io.safetensors.ReferenceFixturesTest;
import dev.peft4j.runtime.io.safetensors.SafetensorsFile;
import dev.peft4j.runtime.io.safetensors.TensorInfo;
import dev.peft4j.runtime.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The LoRA adapters Hugging Face PEFT saved under {@code fixtures/peft/} (made by
 * {@code method-lora/src/test/python/make_peft_fixtures.py}) read with peft4j's {@link SafetensorsFile}: the key layout
 * and shapes a peft4j adapter must have to load in Python PEFT, and what adapter_config.json says.
 */
class PeftFixturesTest {

  /** {@code base_model.model.<module>.lora_A.weight | lora_B.weight | lora_magnitude_vector} (no adapter name). */
  private static final Pattern KEY = Pattern.compile(
      "base_model\\.model\\.(model\\.layers\\.(\\d+)\\.(self_attn|mlp)\\.(\\w+_proj))"
          + "\\.(lora_A\\.weight|lora_B\\.weight|lora_magnitude_vector)");

  private static final List<String> ALL_LINEAR = List.of(
      "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
      "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj");

  private static final List<String> PHI3_LINEAR = List.of(
      "self_attn.qkv_proj", "self_attn.o_proj", "mlp.gate_up_proj", "mlp.down_proj");
  private static final List<String> QV = List.of("self_attn.q_proj", "self_attn.v_proj");

  /**
   * What each case was made with (make_peft_fixtures.py's CASES): on which base, and which modules of each layer
   * were wrapped (all of its linear ones when {@code allLinear}: PEFT then writes their full names), and the base
   * weights of its {@code modules_to_save}, saved whole.
   */
  private record Case(String base, int r, double alpha, boolean dora, boolean rslora, Object init, List<String> modules,
      boolean allLinear, List<String> whole) {
    Case(String base, int r, double alpha, boolean dora, boolean rslora, Object init, List<String> modules,
        boolean allLinear) {
      this(base, r, alpha, dora, rslora, init, modules, allLinear, List.of());
    }
  }

  private static final Map<String, Case> CASES = Map.ofEntries(
      Map.entry("lora", new Case(Fixtures.LLAMA, 4, 8, false, false, true, QV, false)),
      Map.entry("rslora", new Case(Fixtures.LLAMA, 4, 8, false, true, true, QV, false)),
      Map.entry("dora", new Case(Fixtures.LLAMA, 4, 8, true, false, true, QV, false)),
      Map.entry("pissa", new Case(Fixtures.LLAMA, 4, 8, false, false, "pissa", QV, false)),
      Map.entry("all-linear", new Case(Fixtures.LLAMA, 2, 4, false, false, true, ALL_LINEAR, true)),
      Map.entry("init-default", new Case(Fixtures.LLAMA, 4, 8, false, false, true, QV, false)),
      Map.entry("qwen3-lora", new Case(Fixtures.QWEN3, 4, 8, false, false, true, QV, false)),
      Map.entry("qwen3-dora", new Case(Fixtures.QWEN3, 4, 8, true, false, true, ALL_LINEAR, true)),
      Map.entry("phi3-lora", new Case(Fixtures.PHI3, 4, 8, false, false, true,
          List.of("self_attn.qkv_proj", "mlp.gate_up_proj"), false)),
      Map.entry("phi3-dora", new Case(Fixtures.PHI3, 4, 8, true, false, true, PHI3_LINEAR, true)),
      Map.entry("gemma2-lora", new Case(Fixtures.GEMMA2, 4, 8, false, false, true, QV, false)),
      Map.entry("gemma2-dora", new Case(Fixtures.GEMMA2, 4, 8, true, false, true, ALL_LINEAR, true)),
      Map.entry("modules-to-save", new Case(Fixtures.LLAMA, 4, 8, false, false, true, QV, false,
          List.of("model.embed_tokens.weight", "lm_head.weight"))));

  @Test
  void everyPeftAdapterFollowsPeftsKeyLayoutShapesAndConfig() throws IOException {
    Path root = Fixtures.path("peft");
    List<String> found = new ArrayList<>();
    try (Stream<Path> folders = Files.list(root)) {
      folders.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().forEach(found::add);
    }
    assertThat(found).containsExactlyInAnyOrderElementsOf(CASES.keySet());

    for (String name : found) {
      Case c = CASES.get(name);
      Path folder = root.resolve(name);
      JsonObject baseConfig = Fixtures.json(Fixtures.path(c.base()).resolve("config.json"));
      Map<String, long[]> baseShapes = ReferenceFixturesTest.expectedShapes(baseConfig);
      long baseParams = baseShapes.values().stream().mapToLong(PeftFixturesTest::numel).sum();
      int layers = baseConfig.get("num_hidden_layers").getAsInt();
      assertThat(Files.size(folder.resolve("expected.json")) + Files.size(folder.resolve("adapter_model.safetensors")))
          .as("%s is small", name).isLessThan(400_000); // the all-linear DoRA cases hold every gradient: ~330 KB

      // adapter_config.json as PEFT writes it
      JsonObject config = Fixtures.json(folder.resolve("adapter_config.json"));
      assertThat(config.get("peft_type").getAsString()).as(name).isEqualTo("LORA");
      assertThat(config.get("task_type").getAsString()).as(name).isEqualTo("CAUSAL_LM");
      assertThat(config.get("r").getAsInt()).as(name).isEqualTo(c.r());
      assertThat(config.get("lora_alpha").getAsDouble()).as(name).isEqualTo(c.alpha());
      assertThat(config.get("lora_dropout").getAsDouble()).as(name).isZero();
      assertThat(config.get("use_dora").getAsBoolean()).as(name).isEqualTo(c.dora());
      assertThat(config.get("use_rslora").getAsBoolean()).as(name).isEqualTo(c.rslora());
      assertThat(config.get("bias").getAsString()).as(name).isEqualTo("none");
      assertThat(config.get("base_model_name_or_path").getAsString()).as(name).isEqualTo(c.base());
      JsonElement init = config.get("init_lora_weights");
      if (c.init() instanceof String s) {
        assertThat(init.getAsString()).as(name).isEqualTo(s);
      } else {
        assertThat(init.getAsBoolean()).as(name).isTrue();
      }
      List<String> targets = strings(config.getAsJsonArray("target_modules"));
      if (c.allLinear()) { // PEFT writes "all-linear" expanded into the full names of the modules it wrapped
        List<String> wrapped = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
          for (String m : c.modules()) {
            wrapped.add("model.layers." + i + "." + m);
          }
        }
        assertThat(targets).containsExactlyInAnyOrderElementsOf(wrapped).doesNotContain("lm_head");
      } else {
        assertThat(targets).containsExactlyInAnyOrderElementsOf(
            c.modules().stream().map(m -> m.substring(m.indexOf('.') + 1)).toList());
      }

      // adapter_model.safetensors: PEFT's key layout and shapes
      Map<String, long[]> expected = new TreeMap<>();
      for (int i = 0; i < layers; i++) {
        for (String m : c.modules()) {
          String module = "model.layers." + i + "." + m;
          long[] weight = baseShapes.get(module + ".weight");
          long out = weight[0];
          long in = weight[1];
          expected.put("base_model.model." + module + ".lora_A.weight", new long[] {c.r(), in});
          expected.put("base_model.model." + module + ".lora_B.weight", new long[] {out, c.r()});
          if (c.dora()) {
            expected.put("base_model.model." + module + ".lora_magnitude_vector", new long[] {out});
          }
        }
      }
      for (String weight : c.whole()) {
        expected.put("base_model.model." + weight, baseShapes.get(weight));
      }
      List<String> toSave = config.get("modules_to_save").isJsonNull() ? List.of()
          : strings(config.getAsJsonArray("modules_to_save"));
      // PEFT lists each module by the name it was given: the last component of the weight's module
      assertThat(toSave).as(name).containsExactlyElementsOf(c.whole().stream()
          .map(w -> w.replaceFirst("\\.weight$", "").replaceFirst("^.*\\.", "")).toList());
      JsonObject reference = Fixtures.json(folder.resolve("expected.json"));
      try (SafetensorsFile file = SafetensorsFile.open(folder.resolve("adapter_model.safetensors"))) {
        assertThat(file.metadata()).as(name).isEqualTo(Map.of("format", "pt"));
        Map<String, TensorInfo> tensors = file.tensors();
        assertThat(tensors.keySet()).as(name).containsExactlyInAnyOrderElementsOf(expected.keySet());
        long trainable = 0;
        for (Map.Entry<String, TensorInfo> e : tensors.entrySet()) {
          String key = e.getKey();
          Matcher m = KEY.matcher(key);
          assertThat(m.matches() || c.whole().contains(key.substring("base_model.model.".length())))
              .as("%s: %s follows PEFT's layout", name, key).isTrue();
          assertThat(key).as(name).doesNotContain(".default").doesNotEndWith("lora_magnitude_vector.weight");
          assertThat(e.getValue().dtype()).as(key).isEqualTo("F32");
          assertThat(e.getValue().shape()).as(key).isEqualTo(expected.get(key));
          trainable += e.getValue().numel();
          float[] values = file.readFloats(key);
          boolean allZero = true;
          for (float v : values) {
            assertThat(Float.isFinite(v)).as(key).isTrue();
            allZero &= v == 0f;
          }
          // B is zero exactly when nothing was randomised and the init is PEFT's default
          boolean zeroB = name.equals("init-default") && key.endsWith("lora_B.weight");
          assertThat(allZero).as("%s is all zeros", key).isEqualTo(zeroB);
        }

        // expected.json: one gradient per saved tensor, same name and shape; the printed count is the file's
        Map<String, long[]> gradients = new LinkedHashMap<>();
        for (JsonElement g : reference.getAsJsonArray("gradients")) {
          JsonObject entry = g.getAsJsonObject();
          long[] shape = longs(entry.getAsJsonArray("shape"));
          assertThat(entry.getAsJsonArray("values").size()).isEqualTo((int) numel(shape));
          gradients.put(entry.get("name").getAsString(), shape);
        }
        assertThat(gradients.keySet()).as(name).containsExactlyInAnyOrderElementsOf(tensors.keySet());
        gradients.forEach((key, shape) -> assertThat(shape).as(key).isEqualTo(tensors.get(key).shape()));
        double percent = 100.0 * trainable / (trainable + baseParams);
        assertThat(reference.get("print_trainable_parameters").getAsString()).as(name).isEqualTo(String.format(
            Locale.ROOT, "trainable params: %,d || all params: %,d || trainable%%: %.4f",
            trainable, trainable + baseParams, percent));
      }
      JsonArray shape = reference.getAsJsonArray("shape");
      assertThat(reference.getAsJsonArray("logits").size())
          .isEqualTo(shape.get(0).getAsInt() * shape.get(1).getAsInt() * shape.get(2).getAsInt());
      assertThat(reference.get("loss").getAsDouble()).as(name).isPositive();
    }
  }

  private static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  private static long[] longs(JsonArray array) {
    long[] result = new long[array.size()];
    for (int i = 0; i < result.length; i++) {
      result[i] = array.get(i).getAsLong();
    }
    return result;
  }

  private static List<String> strings(JsonArray array) {
    List<String> result = new ArrayList<>();
    array.forEach(e -> result.add(e.getAsString()));
    return result;
  }
}
