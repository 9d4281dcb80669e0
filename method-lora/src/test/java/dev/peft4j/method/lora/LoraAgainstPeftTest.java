package dev.peft4j.method.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.AdapterMethod;
import dev.peft4j.api.AdapterState;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.model.ParameterView;
import dev.peft4j.runtime.io.AdapterFiles;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelFiles;
import dev.peft4j.runtime.model.ModuleModelView;
import dev.peft4j.runtime.nn.Tensors;
import dev.peft4j.runtime.setup.MethodSetup;
import dev.peft4j.runtime.setup.RuntimeMethodContext;
import dev.peft4j.runtime.testing.Fixtures;
import dev.peft4j.runtime.testing.Runs;
import dev.peft4j.runtime.train.CausalLmLoss;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * peft4j's LoRA against Hugging Face PEFT on the same base (fixtures/llama-tiny) and adapter
 * (fixtures/peft/CASE, saved by PEFT; made by method-lora/src/test/python/make_peft_fixtures.py): the
 * adapter loads, and logits, loss, the gradients of every adapter tensor and the merged weights agree.
 * All fp32; what differs is the order of floating-point sums.
 */
class LoraAgainstPeftTest {

  /*
   * float32 sums in another order, which depends on the CPU's instruction set and BLAS code path. Measured on an
   * AVX-512 Xeon under ATEN_CPU_CAPABILITY default, avx2 and avx512 and MKL_ENABLE_INSTRUCTIONS=AVX2
   * (bench/portability): logits within 5.4e-6 of PEFT's (the largest is 4.1; 20 float32 ulps of it), gradients
   * within 5.5e-7, merged weights within 6e-8. The logits may differ by 5e-5 (200 ulps): an adapter of the fixtures moves them by 1.6 to 3.6,
   * so any wrong detail shows a thousand times over.
   */
  private static final double LOGITS_TOLERANCE = 5e-5;
  private static final double GRADIENT_TOLERANCE = 1e-5;
  private static final double WEIGHT_TOLERANCE = 1e-6;

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  /*
   * bf16: the base in bf16, the adapter in float32 with the input cast to it, as PEFT runs them. Measured on the
   * fixtures (make_bf16_fixtures.py): equal to PEFT's bf16 logits to the bit on an AVX-512/AVX512-BF16 Xeon. Another
   * CPU's bf16 kernels may accumulate in another order: two bf16 steps at the largest logit (3.8) are allowed.
   */
  private static final double BF16_LOGITS_TOLERANCE = 2 * 0.03125;

  /**
   * The tiny model a PEFT fixture was made on: its expected.json's {@code base} (make_peft_fixtures.py writes it for
   * the cases made on another base than llama-tiny, the first ones' base).
   */
  private static String base(String fixture) {
    JsonObject expected = Fixtures.json(Fixtures.path("peft/" + fixture).resolve("expected.json"));
    return expected.has("base") ? expected.get("base").getAsString() : Fixtures.LLAMA;
  }

  @ParameterizedTest(name = "{0} in bf16")
  @CsvSource(delimiter = ';', value = {
      "lora; rank = 4, alpha = 8, target = [q_proj, v_proj]",
      "dora; rank = 4, alpha = 8, target = [q_proj, v_proj], use-dora = true"})
  void matchesPeftInBf16(String fixture, String settings) {
    Path folder = Fixtures.path("peft/" + fixture);
    JsonObject expected = Fixtures.json(folder.resolve("expected-bf16.json"));
    CausalLm model = ModelFiles.load(Fixtures.path(Fixtures.LLAMA), manager, dev.peft4j.runtime.nn.Precision.BF16);
    ModuleModelView view = new ModuleModelView(model);
    AdapterMethod lora = lora(settings);
    view.parameters().forEach(p -> p.setTrainable(false));
    lora.apply(view);
    lora.load(AdapterFiles.read(folder, manager));
    NDArray ids = Tensors.of(manager, Fixtures.longs(expected.getAsJsonArray("input_ids")), new Shape(2, 9));
    double error = maxError(model.forward(ids, Fixtures.ints(expected.getAsJsonArray("attention_mask"))).toFloatArray(),
        expected.getAsJsonArray("logits"));
    System.out.printf("%s in bf16: max abs error vs PEFT in bf16: logits %.3g%n", fixture, error);
    assertThat(error).isLessThan(BF16_LOGITS_TOLERANCE);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
      "lora; rank = 4, alpha = 8, target = [q_proj, v_proj]",
      "rslora; rank = 4, alpha = 8, target = [q_proj, v_proj], use-rslora = true",
      "dora; rank = 4, alpha = 8, target = [q_proj, v_proj], use-dora = true",
      "all-linear; rank = 2, alpha = 4, target = all-linear",
      "init-default; rank = 4, alpha = 8, target = [q_proj, v_proj]",
      "qwen3-lora; rank = 4, alpha = 8, target = [q_proj, v_proj]",
      "qwen3-dora; rank = 4, alpha = 8, target = all-linear, use-dora = true",
      "phi3-lora; rank = 4, alpha = 8, target = [qkv_proj, gate_up_proj]",
      "phi3-dora; rank = 4, alpha = 8, target = all-linear, use-dora = true",
      "gemma2-lora; rank = 4, alpha = 8, target = [q_proj, v_proj]",
      "gemma2-dora; rank = 4, alpha = 8, target = all-linear, use-dora = true",
      "modules-to-save; rank = 4, alpha = 8, target = [q_proj, v_proj], modules-to-save = [embed_tokens, lm_head]"})
  void matchesPeft(String fixture, String settings) {
    Path folder = Fixtures.path("peft/" + fixture);
    JsonObject expected = Fixtures.json(folder.resolve("expected.json"));
    CausalLm model = ModelFiles.load(Fixtures.path(base(fixture)), manager);
    ModuleModelView view = new ModuleModelView(model);
    AdapterMethod lora = lora(settings);
    view.parameters().forEach(p -> p.setTrainable(false));
    lora.apply(view);
    if (!fixture.equals("init-default")) {
      lora.load(AdapterFiles.read(folder, manager));
    }

    assertThat(peftsCount(view)).isEqualTo(expected.get("print_trainable_parameters").getAsString());
    NDArray ids = Tensors.of(manager, Fixtures.longs(expected.getAsJsonArray("input_ids")), new Shape(2, 9));
    int[][] mask = Fixtures.ints(expected.getAsJsonArray("attention_mask"));
    NDArray labels = Tensors.of(manager, Fixtures.longs(expected.getAsJsonArray("labels")), new Shape(2, 9));
    Engine engine = manager.getEngine();
    double logitsError;
    double loss;
    try (GradientCollector collector = engine.newGradientCollector()) {
      NDArray logits = model.forward(ids, mask);
      logitsError = maxError(logits.toFloatArray(), expected.getAsJsonArray("logits"));
      NDArray value = CausalLmLoss.meanAndCount(logits, labels)[0];
      loss = value.getFloat();
      collector.backward(value);
    }
    Map<String, ParameterView> parameters = view.parameters().stream()
        .collect(Collectors.toMap(ParameterView::name, p -> p));
    double gradientError = 0;
    // With PEFT's own initialisation A is drawn by torch's generator, so only its range can agree (below).
    boolean ownInit = fixture.equals("init-default");
    for (JsonElement element : ownInit ? new JsonArray() : expected.getAsJsonArray("gradients")) {
      JsonObject gradient = element.getAsJsonObject();
      String name = gradient.get("name").getAsString().replaceFirst("^base_model\\.model\\.", "");
      ParameterView parameter = parameters.get(name);
      assertThat(parameter).as("parameter %s", name).isNotNull();
      gradientError = Math.max(gradientError,
          maxError(parameter.data().getGradient().toFloatArray(), gradient.getAsJsonArray("values")));
    }
    lora.merge(true);
    double mergedError = 0;
    for (JsonElement element : expected.getAsJsonArray("merged")) {
      JsonObject merged = element.getAsJsonObject();
      ParameterView weight = parameters.get(merged.get("module").getAsString() + ".weight");
      mergedError = Math.max(mergedError, maxError(weight.data().toFloatArray(), merged.getAsJsonArray("values")));
    }
    System.out.printf("%s: max abs error vs PEFT: logits %.3g, loss %.3g, gradients %.3g, merged weights %.3g%n",
        fixture, logitsError, Math.abs(loss - expected.get("loss").getAsDouble()), gradientError, mergedError);

    assertThat(logitsError).as("logits").isLessThan(LOGITS_TOLERANCE);
    assertThat(loss).isCloseTo(expected.get("loss").getAsDouble(), org.assertj.core.data.Offset.offset(1e-5));
    assertThat(gradientError).as("gradients").isLessThan(GRADIENT_TOLERANCE);
    assertThat(mergedError).as("merged weights").isLessThan(WEIGHT_TOLERANCE);
    if (ownInit) {
      for (ParameterView parameter : parameters.values()) {
        float[] values = parameter.data().toFloatArray();
        if (parameter.name().endsWith("lora_B.weight")) {
          assertThat(values).as(parameter.name()).containsOnly(0f);
        } else if (parameter.name().endsWith("lora_A.weight")) {
          // Kaiming-uniform with a = sqrt(5) on fan_in 32: U(-1/sqrt(32), 1/sqrt(32)).
          double largest = 0;
          for (float v : values) {
            largest = Math.max(largest, Math.abs(v));
          }
          assertThat(largest).as(parameter.name()).isLessThanOrEqualTo(1 / Math.sqrt(32)).isGreaterThan(0.5 / Math.sqrt(32));
        }
      }
    }
  }

  /**
   * PiSSA as PEFT initialises it: the residual base weight and the product B·A (the factors themselves
   * are defined up to the signs of singular vectors), and an unchanged output at initialisation.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {"exact; pissa", "randomized, 8 power iterations; pissa_niter_8"})
  void pissaMatchesPeft(String name, String init) {
    JsonObject expected = Fixtures.json(Fixtures.path("peft/pissa/expected.json"));
    JsonObject pissa = expected.getAsJsonObject("pissa");
    CausalLm model = ModelFiles.load(Fixtures.path(Fixtures.LLAMA), manager);
    ModuleModelView view = new ModuleModelView(model);
    lora("rank = 4, alpha = 8, target = [q_proj, v_proj], init = " + init).apply(view);
    Map<String, ParameterView> parameters = view.parameters().stream()
        .collect(Collectors.toMap(ParameterView::name, p -> p));
    String module = pissa.get("module").getAsString();

    NDArray a = parameters.get(module + ".lora_A.weight").data();
    NDArray b = parameters.get(module + ".lora_B.weight").data();
    NDArray peftA = Tensors.of(manager, floats(pissa.getAsJsonObject("lora_A")), a.getShape());
    NDArray peftB = Tensors.of(manager, floats(pissa.getAsJsonObject("lora_B")), b.getShape());
    double productError = maxError(b.matMul(a).toFloatArray(), peftB.matMul(peftA).toFloatArray());
    double residualError = maxError(parameters.get(module + ".weight").data().toFloatArray(),
        pissa.getAsJsonObject("residual_weight").getAsJsonArray("values"));
    NDArray logits = model.forward(Tensors.of(manager, Fixtures.longs(expected.getAsJsonArray("input_ids")), new Shape(2, 9)),
        Fixtures.ints(expected.getAsJsonArray("attention_mask")));
    double logitsError = maxError(logits.toFloatArray(), expected.getAsJsonArray("logits"));
    System.out.printf("pissa (%s): max abs error vs PEFT: B·A %.3g, residual weight %.3g, logits %.3g%n",
        name, productError, residualError, logitsError);

    // Either way the base keeps W − scaling·B·A, so the output at initialisation is the base model's.
    assertThat(logitsError).isLessThan(LOGITS_TOLERANCE);
    if (init.equals("pissa")) {
      assertThat(productError).isLessThan(1e-5);
      assertThat(residualError).isLessThan(1e-5);
    }
    // The randomized form only approximates the top singular space (a random 32×32 weight has a flat
    // spectrum, and torch draws another sketch), so its factors are not compared with PEFT's exact ones.
  }

  /**
   * {@code lora.pissa-convert}: a trained PiSSA adapter over its residual base and its conversion over the unchanged
   * base (a plain LoRA adapter of twice the rank, as PEFT converts it) give the same logits. Both compute W·x in
   * float32 (W_res + s·B₀·A₀ rounds to W within a few ulps), so the logits agree to the tolerance of the PEFT cases;
   * the trained adapter moves them by far more.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
      "pissa; init = pissa; 8; 16",
      "pissa with rsLoRA; init = pissa, use-rslora = true; 8; 11.313708498984761",
      "randomized pissa; init = pissa_niter_4; 8; 16"})
  void aConvertedPissaAdapterIsTheTrainedModelOnTheUnchangedBase(String name, String init, int rank, double alpha) {
    JsonObject expected = Fixtures.json(Fixtures.path("peft/pissa/expected.json"));
    NDArray ids = Tensors.of(manager, Fixtures.longs(expected.getAsJsonArray("input_ids")), new Shape(2, 9));
    int[][] mask = Fixtures.ints(expected.getAsJsonArray("attention_mask"));
    String settings = "rank = 4, alpha = 8, target = [q_proj, v_proj], pissa-convert = true, " + init;
    CausalLm original = ModelFiles.load(Fixtures.path(Fixtures.LLAMA), manager);
    float[] baseLogits = original.forward(ids, mask).toFloatArray();

    CausalLm residual = ModelFiles.load(Fixtures.path(Fixtures.LLAMA), manager);
    AdapterMethod pissa = lora(settings);
    pissa.apply(new ModuleModelView(residual));
    java.util.Random random = new java.util.Random(11);
    Map<String, NDArray> moved = new java.util.LinkedHashMap<>();
    pissa.state().tensors().forEach((key, tensor) -> {
      float[] noise = new float[(int) tensor.size()];
      for (int i = 0; i < noise.length; i++) {
        noise[i] = (float) (0.2 * random.nextGaussian());
      }
      moved.put(key, tensor.add(Tensors.of(manager, noise, tensor.getShape())));
    });
    pissa.load(new AdapterState(moved, pissa.state().config()));
    float[] trainedLogits = residual.forward(ids, mask).toFloatArray();
    assertThat(maxError(trainedLogits, baseLogits)).as("what training changed").isGreaterThan(0.05);

    Path written = Path.of("target", "peft4j-written-adapters", "pissa-converted-" + init.replaceAll("\\W+", "-"));
    AdapterFiles.write(written, pissa.conversions().get("pissa_converted"), Fixtures.LLAMA);
    AdapterState converted = AdapterFiles.read(written, manager);
    assertThat(((Number) converted.config().get("r")).intValue()).isEqualTo(rank);
    assertThat(converted.config()).containsEntry("init_lora_weights", true);
    assertThat(((Number) converted.config().get("lora_alpha")).doubleValue()).isCloseTo(alpha, within(1e-12));
    assertThat(converted.tensors().get("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").getShape())
        .isEqualTo(new Shape(8, 32));

    AdapterMethod plain = lora("rank = " + rank + ", alpha = " + alpha + ", target = [q_proj, v_proj]"
        + (init.contains("rslora") ? ", use-rslora = true" : ""));
    plain.apply(new ModuleModelView(original));
    plain.load(converted);
    double error = maxError(original.forward(ids, mask).toFloatArray(), trainedLogits);
    System.out.printf("%s converted: max abs logits error vs the trained PiSSA model %.3g%n", name, error);
    assertThat(error).isLessThan(LOGITS_TOLERANCE);
  }

  @org.junit.jupiter.api.Test
  void withoutPissaConvertThereIsNoConversion() {
    CausalLm model = ModelFiles.load(Fixtures.path(Fixtures.LLAMA), manager);
    AdapterMethod lora = lora("rank = 4, alpha = 8, target = [q_proj], init = pissa");
    lora.apply(new ModuleModelView(model));
    assertThat(lora.conversions()).isEmpty();
  }

  private static float[] floats(JsonObject tensor) {
    JsonArray values = tensor.getAsJsonArray("values");
    float[] result = new float[values.size()];
    for (int i = 0; i < result.length; i++) {
      result[i] = values.get(i).getAsFloat();
    }
    return result;
  }

  private static double maxError(float[] ours, float[] reference) {
    double max = 0;
    for (int i = 0; i < ours.length; i++) {
      max = Math.max(max, Math.abs(ours[i] - reference[i]));
    }
    return max;
  }

  /**
   * An adapter peft4j writes has PEFT's keys and shapes and loads back to the same values. The folders
   * are left in target/peft4j-written-adapters for method-lora/src/test/python/check_peft_adapter.py, which
   * loads them with PEFT and compares the logits with the fixture's.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
      "lora; rank = 4, alpha = 8, target = [q_proj, v_proj]",
      "dora; rank = 4, alpha = 8, target = [q_proj, v_proj], use-dora = true",
      "all-linear; rank = 2, alpha = 4, target = all-linear",
      "qwen3-lora; rank = 4, alpha = 8, target = [q_proj, v_proj]",
      "qwen3-dora; rank = 4, alpha = 8, target = all-linear, use-dora = true",
      "phi3-lora; rank = 4, alpha = 8, target = [qkv_proj, gate_up_proj]",
      "phi3-dora; rank = 4, alpha = 8, target = all-linear, use-dora = true",
      "gemma2-lora; rank = 4, alpha = 8, target = [q_proj, v_proj]",
      "gemma2-dora; rank = 4, alpha = 8, target = all-linear, use-dora = true",
      "modules-to-save; rank = 4, alpha = 8, target = [q_proj, v_proj], modules-to-save = [embed_tokens, lm_head]"})
  void writesAdaptersInPeftsLayout(String fixture, String settings) {
    Path folder = Fixtures.path("peft/" + fixture);
    CausalLm model = ModelFiles.load(Fixtures.path(base(fixture)), manager);
    ModuleModelView view = new ModuleModelView(model);
    AdapterMethod lora = lora(settings);
    lora.apply(view);
    AdapterState peft = AdapterFiles.read(folder, manager);
    lora.load(peft);

    Path written = Path.of("target", "peft4j-written-adapters", fixture);
    AdapterFiles.write(written, lora.state(), base(fixture));
    AdapterState ours = AdapterFiles.read(written, manager);

    assertThat(ours.tensors().keySet()).containsExactlyInAnyOrderElementsOf(peft.tensors().keySet());
    peft.tensors().forEach((name, tensor) -> {
      assertThat(ours.tensors().get(name).getShape()).as(name).isEqualTo(tensor.getShape());
      assertThat(ours.tensors().get(name).toFloatArray()).as(name).containsExactly(tensor.toFloatArray());
    });
    assertThat(ours.config()).containsEntry("peft_type", "LORA").containsEntry("r", peft.config().get("r"))
        .containsEntry("lora_alpha", peft.config().get("lora_alpha")).containsEntry("use_dora", peft.config().get("use_dora"))
        .containsEntry("modules_to_save", peft.config().get("modules_to_save"));
  }

  /**
   * PEFT's trainable line for a model: peft4j's, except that PEFT keeps each module of {@code modules_to_save} twice
   * (the original beside the trained copy) and counts both in all params, where peft4j trains the module in place.
   */
  private static String peftsCount(ModuleModelView view) {
    long trainable = 0;
    long all = 0;
    for (ParameterView p : view.parameters()) {
      long n = MethodSetup.values(p);
      boolean base = !p.name().contains(".lora_");
      trainable += p.trainable() ? n : 0;
      all += n + (p.trainable() && base && !p.name().endsWith(".bias") ? n : 0);
    }
    return MethodSetup.trainableLine(trainable, all);
  }

  @org.junit.jupiter.api.Test
  void trainedBiasesAreSavedWithTheAdapterAsPeftSavesThem() {
    CausalLm model = ModelFiles.load(Fixtures.path(Fixtures.QWEN2), manager);
    AdapterMethod lora = lora("rank = 4, alpha = 8, target = [q_proj, v_proj], bias = lora_only");
    lora.apply(new ModuleModelView(model));

    assertThat(lora.state().tensors()).containsKeys(
        "base_model.model.model.layers.0.self_attn.q_proj.bias", "base_model.model.model.layers.1.self_attn.v_proj.bias")
        .doesNotContainKey("base_model.model.model.layers.0.self_attn.k_proj.bias");
  }

  @org.junit.jupiter.api.Test
  void aSafeMergeRefusesNonFiniteWeightsAndChangesNothing() {
    CausalLm model = ModelFiles.load(Fixtures.path(Fixtures.LLAMA), manager);
    ModuleModelView view = new ModuleModelView(model);
    AdapterMethod lora = lora("rank = 4, alpha = 8, target = [q_proj]");
    lora.apply(view);
    Map<String, ParameterView> parameters = view.parameters().stream()
        .collect(Collectors.toMap(ParameterView::name, p -> p));
    parameters.get("model.layers.1.self_attn.q_proj.lora_B.weight").data()
        .set(new ai.djl.ndarray.index.NDIndex("0, 0"), Float.NaN);
    float[] before = parameters.get("model.layers.0.self_attn.q_proj.weight").data().toFloatArray();

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> lora.merge(true))
        .hasMessageContaining("model.layers.1.self_attn.q_proj").hasMessageContaining("nothing was merged");
    assertThat(parameters.get("model.layers.0.self_attn.q_proj.weight").data().toFloatArray()).containsExactly(before);
  }

  @org.junit.jupiter.api.Test
  void loraPlusRaisesTheLearningRateOfBAndOneDimensionalTrainables() {
    CausalLm model = ModelFiles.load(Fixtures.path(Fixtures.LLAMA), manager);
    ModuleModelView view = new ModuleModelView(model);
    AdapterMethod lora = lora("rank = 4, alpha = 8, target = [q_proj], use-dora = true, loraplus-lr-ratio = 16");
    lora.apply(view);
    dev.peft4j.api.OptimizerHook hook = (dev.peft4j.api.OptimizerHook) lora;
    Map<String, ParameterView> parameters = view.parameters().stream()
        .collect(Collectors.toMap(ParameterView::name, p -> p));
    String module = "model.layers.0.self_attn.q_proj.";

    assertThat(hook.learningRateScale(parameters.get(module + "lora_A.weight"))).isEqualTo(1.0);
    assertThat(hook.learningRateScale(parameters.get(module + "lora_B.weight"))).isEqualTo(16.0);
    assertThat(hook.learningRateScale(parameters.get(module + "lora_magnitude_vector"))).isEqualTo(16.0);
  }

  private AdapterMethod lora(String settings) {
    MethodFactory<?> factory = Runs.discovery().methods().get("lora").factory();
    SettingsReader reader = new SettingsReader(ConfigFactory.parseString("peft4j.lora { " + settings + " }")
        .withFallback(Runs.discovery().reference()), "peft4j.lora");
    return (AdapterMethod) create(factory, factory.readSettings(reader));
  }

  @SuppressWarnings("unchecked")
  private <S> PeftMethod create(MethodFactory<S> factory, Object settings) {
    return factory.create((S) settings, new RuntimeMethodContext(manager, 1));
  }

  private static double maxError(float[] ours, JsonArray reference) {
    assertThat(ours).hasSize(reference.size());
    double max = 0;
    for (int i = 0; i < ours.length; i++) {
      max = Math.max(max, Math.abs(ours[i] - reference.get(i).getAsDouble()));
    }
    return max;
  }

}
