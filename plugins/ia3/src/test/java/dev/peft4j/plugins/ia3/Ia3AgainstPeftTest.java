package dev.peft4j.plugins.ia3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.api.AdapterMethod;
import dev.peft4j.api.AdapterState;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.model.ParameterView;
import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.io.AdapterFiles;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelFiles;
import dev.peft4j.runtime.model.ModuleModelView;
import dev.peft4j.runtime.nn.Tensors;
import dev.peft4j.runtime.setup.MethodSetup;
import dev.peft4j.runtime.setup.RuntimeMethodContext;
import dev.peft4j.runtime.train.CausalLmLoss;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * peft4j's IA³ against Hugging Face PEFT 0.21.2 on the runtime's tiny fixture models: an adapter PEFT saved
 * (src/test/resources/fixtures/CASE, made by src/test/python/make_ia3_fixtures.py) loads, and the trainable-parameters
 * line, logits, loss, gradients of every vector and the merged weights agree; an adapter peft4j writes has PEFT's
 * keys, shapes and config (src/test/python/check_ia3_adapter.py loads it in PEFT: see the README there).
 */
class Ia3AgainstPeftTest {

  /*
   * float32 sums in another order, which depends on the CPU's instruction set and BLAS code path. Measured on an
   * AVX-512 Xeon under ATEN_CPU_CAPABILITY default, avx2 and avx512 and MKL_ENABLE_INSTRUCTIONS=AVX2
   * (bench/portability): logits within 2.8e-6 of PEFT's (the largest is 4.1; 20 float32 ulps of it), gradients
   * within 5.5e-7, merged weights within 6e-8. The logits may differ by 5e-5 (200 ulps): the randomised IA³ vectors of the fixtures move them by 3.3 to 3.6,
   * so any wrong detail shows a thousand times over.
   */
  private static final double LOGITS_TOLERANCE = 5e-5;
  private static final double GRADIENT_TOLERANCE = 1e-5;
  private static final double WEIGHT_TOLERANCE = 1e-6;
  static final Path BASES = Path.of("..", "..", "runtime", "src", "test", "resources", "fixtures");

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
      "llama; target = [k_proj, v_proj, down_proj]",
      "qwen2; target = [q_proj, v_proj, down_proj]"})
  void matchesPeft(String fixture, String settings) throws Exception {
    Path folder = fixture(fixture);
    JsonObject expected = json(folder.resolve("expected.json"));
    CausalLm model = ModelFiles.load(BASES.resolve(expected.get("base").getAsString()), manager);
    ModuleModelView view = new ModuleModelView(model);
    AdapterMethod ia3 = ia3(settings);
    view.parameters().forEach(p -> p.setTrainable(false));
    ia3.apply(view);
    ia3.load(AdapterFiles.read(folder, manager));

    assertThat(MethodSetup.trainableLine(view)).isEqualTo(expected.get("print_trainable_parameters").getAsString());
    Set<String> feedforward = ((Ia3Adapter) ia3).layers().entrySet().stream().filter(e -> e.getValue().feedforward())
        .map(Map.Entry::getKey).collect(Collectors.toSet());
    assertThat(feedforward).containsExactlyInAnyOrderElementsOf(strings(expected.getAsJsonArray("feedforward")));

    NDArray ids = Tensors.of(manager, longs(expected.getAsJsonArray("input_ids")), new Shape(2, 9));
    int[][] mask = ints(expected.getAsJsonArray("attention_mask"));
    NDArray labels = Tensors.of(manager, longs(expected.getAsJsonArray("labels")), new Shape(2, 9));
    double logitsError;
    double loss;
    try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
      NDArray logits = model.forward(ids, mask);
      logitsError = maxError(logits.toFloatArray(), floats(expected.getAsJsonArray("logits")));
      NDArray value = CausalLmLoss.meanAndCount(logits, labels)[0];
      loss = value.getFloat();
      collector.backward(value);
    }
    Map<String, ParameterView> parameters = view.parameters().stream()
        .collect(Collectors.toMap(ParameterView::name, p -> p));
    double gradientError = 0;
    for (JsonElement element : expected.getAsJsonArray("gradients")) {
      JsonObject gradient = element.getAsJsonObject();
      String name = gradient.get("name").getAsString().replaceFirst("^base_model\\.model\\.", "");
      assertThat(parameters).as("parameter %s", name).containsKey(name);
      gradientError = Math.max(gradientError, maxError(parameters.get(name).data().getGradient().toFloatArray(),
          floats(gradient.getAsJsonArray("values"))));
    }
    ia3.merge(true);
    double mergedError = 0;
    int biases = 0;
    for (JsonElement element : expected.getAsJsonArray("merged")) {
      JsonObject merged = element.getAsJsonObject();
      String module = merged.get("module").getAsString();
      mergedError = Math.max(mergedError, maxError(parameters.get(module + ".weight").data().toFloatArray(),
          floats(merged.getAsJsonObject("weight").getAsJsonArray("values"))));
      if (merged.has("bias")) {
        biases++;
        mergedError = Math.max(mergedError, maxError(parameters.get(module + ".bias").data().toFloatArray(),
            floats(merged.getAsJsonObject("bias").getAsJsonArray("values"))));
      }
    }
    System.out.printf("ia3 %s: %s; max abs error vs PEFT: logits %.3g, loss %.3g, gradients %.3g, merged weights "
            + "%.3g (%d biases)%n", fixture, MethodSetup.trainableLine(view), logitsError,
        Math.abs(loss - expected.get("loss").getAsDouble()), gradientError, mergedError, biases);

    assertThat(logitsError).as("logits").isLessThan(LOGITS_TOLERANCE);
    assertThat(loss).isCloseTo(expected.get("loss").getAsDouble(), offset(1e-5));
    assertThat(gradientError).as("gradients").isLessThan(GRADIENT_TOLERANCE);
    assertThat(mergedError).as("merged weights").isLessThan(WEIGHT_TOLERANCE);
    assertThat(biases).as("qwen2's q_proj and v_proj biases are scaled by the merge").isEqualTo(fixture.equals("qwen2") ? 2 : 0);
  }

  /**
   * An adapter peft4j writes has PEFT's keys, shapes, values and config. The folders are left in
   * target/peft4j-written-ia3 for src/test/python/check_ia3_adapter.py, which loads them with PEFT.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
      "llama; target = [k_proj, v_proj, down_proj]",
      "qwen2; target = [q_proj, v_proj, down_proj]"})
  void writesAdaptersInPeftsLayout(String fixture, String settings) throws Exception {
    Path folder = fixture(fixture);
    JsonObject expected = json(folder.resolve("expected.json"));
    CausalLm model = ModelFiles.load(BASES.resolve(expected.get("base").getAsString()), manager);
    AdapterMethod ia3 = ia3(settings);
    ia3.apply(new ModuleModelView(model));
    AdapterState peft = AdapterFiles.read(folder, manager);
    ia3.load(peft);

    Path written = Path.of("target", "peft4j-written-ia3", fixture);
    AdapterFiles.write(written, ia3.state(), expected.get("base").getAsString());
    AdapterState ours = AdapterFiles.read(written, manager);

    assertThat(ours.tensors().keySet()).containsExactlyInAnyOrderElementsOf(peft.tensors().keySet());
    peft.tensors().forEach((name, tensor) -> {
      assertThat(ours.tensors().get(name).getShape()).as(name).isEqualTo(tensor.getShape());
      assertThat(ours.tensors().get(name).toFloatArray()).as(name).containsExactly(tensor.toFloatArray());
    });
    for (String key : List.of("peft_type", "task_type", "fan_in_fan_out", "init_ia3_weights", "modules_to_save",
        "exclude_modules", "base_model_name_or_path")) {
      assertThat(ours.config().get(key)).as(key).isEqualTo(peft.config().get(key));
    }
    for (String key : List.of("target_modules", "feedforward_modules")) {
      assertThat(Set.copyOf((List<?>) ours.config().get(key))).as(key).isEqualTo(Set.copyOf((List<?>) peft.config().get(key)));
    }
  }

  private AdapterMethod ia3(String settings) {
    Peft4j peft4j = Peft4j.builder().build();
    MethodFactory<?> factory = peft4j.methods().get("ia3").factory();
    SettingsReader reader = new SettingsReader(ConfigFactory.parseString("peft4j.ia3 { " + settings + " }")
        .withFallback(peft4j.discovery().reference()).resolve(), "peft4j.ia3");
    return (AdapterMethod) create(factory, reader);
  }

  @SuppressWarnings("unchecked")
  private <S> dev.peft4j.api.PeftMethod create(MethodFactory<S> factory, SettingsReader reader) {
    S settings = factory.readSettings(reader);
    reader.throwIfProblems();
    return factory.create(settings, new RuntimeMethodContext(manager, 0));
  }

  static Path fixture(String name) throws URISyntaxException {
    return Path.of(Ia3AgainstPeftTest.class.getResource("/fixtures/" + name + "/expected.json").toURI()).getParent();
  }

  static JsonObject json(Path file) throws IOException {
    return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
  }

  private static List<String> strings(JsonArray array) {
    return array.asList().stream().map(JsonElement::getAsString).toList();
  }

  static float[] floats(JsonArray values) {
    float[] result = new float[values.size()];
    for (int i = 0; i < result.length; i++) {
      result[i] = values.get(i).getAsFloat();
    }
    return result;
  }

  static int[][] ints(JsonArray rows) {
    int[][] result = new int[rows.size()][];
    for (int i = 0; i < rows.size(); i++) {
      JsonArray row = rows.get(i).getAsJsonArray();
      result[i] = new int[row.size()];
      for (int j = 0; j < row.size(); j++) {
        result[i][j] = row.get(j).getAsInt();
      }
    }
    return result;
  }

  static long[] longs(JsonArray rows) {
    int[][] values = ints(rows);
    long[] flat = new long[values.length * values[0].length];
    for (int b = 0; b < values.length; b++) {
      for (int t = 0; t < values[0].length; t++) {
        flat[b * values[0].length + t] = values[b][t];
      }
    }
    return flat;
  }

  static double maxError(float[] ours, float[] reference) {
    assertThat(ours).hasSameSizeAs(reference);
    double max = 0;
    for (int i = 0; i < ours.length; i++) {
      max = Math.max(max, Math.abs(ours[i] - reference[i]));
    }
    return max;
  }
}
