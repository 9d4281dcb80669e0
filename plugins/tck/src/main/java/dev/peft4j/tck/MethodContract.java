package dev.peft4j.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import dev.peft4j.api.AdapterMethod;
import dev.peft4j.api.AdapterState;
import dev.peft4j.api.MethodCapability;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.ParameterSelector;
import dev.peft4j.api.UnsupportedFeatureException;
import dev.peft4j.api.config.ConfigurationException;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.model.ParameterView;
import dev.peft4j.api.rules.Condition;
import dev.peft4j.api.rules.Rule;
import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.io.AdapterFiles;
import dev.peft4j.runtime.io.AtomicFolders;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelFiles;
import dev.peft4j.runtime.plan.PlanCheck;
import dev.peft4j.runtime.plan.RunPlan;
import dev.peft4j.runtime.plugin.DiscoveredMethod;
import dev.peft4j.runtime.plugin.Discovery;
import dev.peft4j.runtime.rules.CoreRules;
import dev.peft4j.runtime.setup.MethodSetup;
import dev.peft4j.runtime.train.Trainer;
import dev.peft4j.runtime.validate.ValidationReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apiguardian.api.API;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * The contract every peft4j method keeps, as JUnit 5 tests. A plugin's test extends this class and says, in
 * {@link #method()}, which method to check, with what settings, and what it promises:
 *
 * <pre>{@code
 * class Ia3ContractTest extends MethodContract {
 *   @Override
 *   protected MethodUnderTest method() {
 *     return MethodUnderTest.method("ia3").promises(Promise.UNCHANGED_OUTPUT_AT_INIT) ...;
 *   }
 * }
 * }</pre>
 *
 * <p>Every check goes the way a run goes: the method is found by the runtime's plugin discovery
 * ({@link java.util.ServiceLoader}, on the classpath and in the plugin folders given), its run is validated by
 * the runtime's validator, the method is created and applied by the runtime's own setup code to the {@link
 * KitModel} loaded from its folder, trained by the runtime's trainer, saved and read back by the runtime's
 * adapter files. A check that does not concern the method's kind passes without doing anything, and one that
 * needs what the method declares it cannot do is skipped with the reason. With JUnit's parallel execution on, a
 * contract class runs alone ({@link Isolated}).
 */
@API(status = EXPERIMENTAL, since = "0.1")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Isolated("the kit counts the engine's live arrays across the process, and autograd allows one gradient collector at a time")
public abstract class MethodContract {

  private static final Pattern KEBAB = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");

  /** Outputs that must be the same computation agree to this (float32, sums in another order). */
  private static final double SAME = 1e-5;
  /** A merged weight computes the same function up to float32 rounding of the merged values. */
  private static final double MERGED = 1e-4;
  /** The kit's perturbation must visibly change the output, or the comparisons after it prove nothing. */
  private static final double VISIBLE = 1e-3;

  /** Optimizer steps before native memory is measured (optimizer state is made at the first step) and after. */
  private static final int WARMUP_STEPS = 3;
  private static final int MEASURED_STEPS = 16;

  private MethodUnderTest spec;
  private Path work;
  private KitRun run;

  /** The method to check, its settings and its promises. */
  protected abstract MethodUnderTest method();

  @BeforeAll
  final void startKit() throws IOException {
    spec = method();
    work = Files.createTempDirectory("peft4j-tck-" + spec.id());
    Path model = KitModel.write(work.resolve("model"), spec.model());
    Peft4j peft4j = Peft4j.builder().classLoader(getClass().getClassLoader())
        .pluginFolders(spec.pluginFolders()).build();
    run = new KitRun(spec, peft4j, model, work);
  }

  @AfterAll
  final void stopKit() {
    if (work != null) {
      AtomicFolders.delete(work);
    }
  }

  // ---- discovery, settings, rules: no model needed ----

  @Test
  @DisplayName("is discovered by its id through the runtime's plugin discovery")
  void isDiscoveredById() {
    Discovery discovery = run.peft4j().discovery();
    DiscoveredMethod found = discovery.methods().get(spec.id());
    assertThat(found).as("%s is discovered; found %s; refused: %s", spec.id(), discovery.methods().keySet(),
        discovery.refused()).isNotNull();
    MethodDescriptor descriptor = found.descriptor();
    assertThat(found.factory().descriptor()).as("descriptor() describes the same method every time").isEqualTo(descriptor);
    assertThat(descriptor.description()).as("a one-line description for `peft4j methods`").isNotBlank().doesNotContain("\n");
    assertThat(descriptor.version()).isNotBlank();
    for (String companion : spec.methods()) {
      assertThat(discovery.methods()).as("method %s, which %s runs with", companion, spec.id()).containsKey(companion);
    }
  }

  @Test
  @DisplayName("its reference.conf defines and documents every setting, and its settings record reads each one")
  void referenceConfCoversEverySetting() {
    Config reference = run.peft4j().discovery().reference();
    String path = descriptor().configPath();
    assertThat(reference.hasPathOrNull(path)).as("reference.conf defines %s (even as %s {})", path, path).isTrue();
    ConfigObject block = reference.getObject(path);
    for (Map.Entry<String, ConfigValue> setting : block.entrySet()) {
      assertThat(setting.getValue().origin().comments())
          .as("%s.%s has a comment in reference.conf (`peft4j methods` prints it)", path, setting.getKey()).isNotEmpty();
    }

    SettingsReader defaults = new SettingsReader(reference.resolve(), path);
    Object settings = factory().readSettings(defaults);
    assertThat(defaults.problems()).as("reading the defaults alone gives no problem (a setting read but not "
        + "defined in reference.conf shows here)").isEmpty();
    assertThat(settings).as("readSettings returns the settings").isNotNull();

    // A value of no setting's type (an object of a list) in each key in turn: reading must report that key.
    for (String key : block.keySet()) {
      Config probe = ConfigFactory.parseString("\"tck-probe\" { x = [] }").atPath(path + "." + quoted(key))
          .withFallback(reference).resolve();
      SettingsReader reader = new SettingsReader(probe, path);
      factory().readSettings(reader);
      String full = path + "." + key;
      assertThat(reader.problems()).as("%s holds a value of the wrong type, and the settings record reports it "
          + "(a setting in reference.conf that readSettings never reads shows here)", full)
          .anyMatch(p -> p.path().equals(full) || p.path().startsWith(full + "."));
    }
  }

  @Test
  @DisplayName("its rules are declared, well formed, and each fires on a run that breaks it")
  void rulesAreDeclared() {
    MethodDescriptor descriptor = descriptor();
    Set<String> names = new LinkedHashSet<>();
    Config reference = run.peft4j().discovery().reference();
    for (Rule rule : descriptor.rules()) {
      assertThat(names.add(rule.name())).as("rule name %s is unique", rule.name()).isTrue();
      assertThat(rule.name()).as("rule name").matches(KEBAB);
      assertThat(rule.message()).as("rule %s has a message for the user", rule.name()).isNotBlank();
      assertThat(rule.when()).as("rule %s is about %s: one of its conditions names it", rule.name(), spec.id())
          .anyMatch(c -> c instanceof Condition.MethodChosen m && m.method().equals(spec.id())
              || c instanceof Condition.MethodNotChosen n && n.method().equals(spec.id()));
      for (Condition condition : rule.when()) {
        if (condition instanceof Condition.Setting setting) {
          assertThat(reference.hasPathOrNull("peft4j." + setting.path()))
              .as("rule %s compares setting %s, which some reference.conf defines", rule.name(), setting.path()).isTrue();
        }
      }
    }
    Set<String> exemplified = new TreeSet<>();
    spec.ruleExamples().forEach(example -> exemplified.add(example.rule()));
    exemplified.addAll(spec.rulesNotExercised().keySet());
    assertThat(exemplified).as("the rules the test gives examples for (breaks(...)) or excuses (ruleNotExercised) "
        + "are exactly the rules %s declares", spec.id()).containsExactlyInAnyOrderElementsOf(names);

    ValidationReport plain = run.validate();
    assertThat(plain.problems()).as("the kit run of %s has no settings problem", spec.id()).isEmpty();
    assertThat(plain.errors()).as("the kit run of %s breaks no rule", spec.id()).isEmpty();
    for (MethodUnderTest.RuleExample example : spec.ruleExamples()) {
      ValidationReport report = run.validate(example.lines().toArray(String[]::new));
      assertThat(report.violations()).as("a run with %s breaks rule %s/%s; it broke: %s", example.lines(), spec.id(),
          example.rule(), report.violations())
          .anyMatch(v -> v.declaredBy().equals(spec.id()) && v.rule().name().equals(example.rule()));
    }
  }

  // ---- what a method declares it cannot do ----

  @Test
  @DisplayName("what it declares unsupported fails with its documented error")
  void unsupportedFeaturesFailWithTheirDocumentedError() {
    for (MethodUnderTest.Unsupported unsupported : spec.unsupported()) {
      String failure = failureOf(unsupported.lines().toArray(String[]::new));
      assertThat(failure).as("a run with %s fails (validation, or create() throwing UnsupportedFeatureException)",
          unsupported.lines()).isNotNull();
      assertThat(failure).as("its error").contains(unsupported.message());
    }
    if (spec.trainingUnavailable().isPresent()) {
      run.validate().orThrow();
      assertThatThrownBy(() -> run.open().close())
          .as("%s declares that it cannot train yet (%s): creating it throws UnsupportedFeatureException. If it trains "
              + "now, remove trainingUnavailable(...) from its contract test", spec.id(), spec.trainingUnavailable().get())
          .isInstanceOf(UnsupportedFeatureException.class);
    }
  }

  /** The message of the error a run with {@code lines} stops with, or null if it starts. */
  private String failureOf(String... lines) {
    ValidationReport report = run.validate(lines);
    if (!report.valid()) {
      return new ConfigurationException(report.problems(), report.errors()).getMessage();
    }
    try (KitRun.Session session = run.open(lines)) {
      return null;
    } catch (UnsupportedFeatureException e) {
      return e.getMessage();
    }
  }

  @Test
  @DisplayName("an adapter that does not declare MERGES refuses merge and unmerge with UnsupportedFeatureException")
  void mergeIsRefusedUnlessDeclared() {
    assumeFalse(descriptor().has(MethodCapability.MERGES), "declares MERGES: see mergeEqualsTheUnmergedForward");
    requireTraining();
    try (KitRun.Session session = run.open().apply()) {
      assumeTrue(session.isAdapter(), "not an adapter: nothing to merge");
      AdapterMethod adapter = session.adapter();
      assertThatThrownBy(() -> adapter.merge(true)).isInstanceOf(UnsupportedFeatureException.class);
      assertThatThrownBy(() -> adapter.merge(false)).isInstanceOf(UnsupportedFeatureException.class);
      assertThatThrownBy(adapter::unmerge).isInstanceOf(UnsupportedFeatureException.class);
    }
  }

  @Test
  @DisplayName("a quantized base is refused unless it declares QUANTIZED_BASE, and trains when it does")
  void quantizedBaseAsDeclared() {
    List<MethodDescriptor> chosen = spec.methods().stream()
        .map(id -> run.peft4j().methods().get(id).descriptor()).toList();
    if (chosen.stream().noneMatch(d -> d.has(MethodCapability.QUANTIZED_BASE))) {
      ValidationReport report = run.validate("model.quantization = nf4");
      assertThat(report.errors()).as("a run of %s on a 4-bit base is refused by the core rule", spec.methods())
          .anyMatch(v -> v.declaredBy().equals(CoreRules.DECLARED_BY)
              && v.rule().name().equals("quantized-base-needs-adapter"));
      return;
    }
    requireTraining();
    try (KitRun.Session session = run.open("model.quantization = nf4")) {
      assertThat(session.view.linearLayers()).as("the base is 4-bit").anyMatch(l -> l.quantized());
      session.apply();
      Map<String, float[]> before = session.snapshot();
      session.train(2, (step, trained) -> {});
      Set<String> changed = changed(before, session.snapshot());
      assertThat(changed).as("training on a 4-bit base changes something").isNotEmpty();
      assertThat(session.trainable()).as("what changed trains").containsAll(changed);
    }
  }

  // ---- applying, saving, merging: on the kit model ----

  @Test
  @DisplayName("applying it leaves the output unchanged, where it promises that (selectors and hooks always)")
  void outputUnchangedAtInitialisation() {
    requireTraining();
    try (KitRun.Session session = run.open()) {
      float[] base = session.logits();
      session.apply();
      boolean adapter = session.isAdapter();
      assumeTrue(!adapter || spec.promises().contains(Promise.UNCHANGED_OUTPUT_AT_INIT),
          "an adapter that does not promise UNCHANGED_OUTPUT_AT_INIT");
      double error = maxError(base, session.logits());
      report("output change at initialisation: max abs %.3g", error);
      assertThat(error).as("max abs change of the logits after apply").isLessThanOrEqualTo(adapter ? SAME : 0.0);
    }
  }

  @Test
  @DisplayName("the parameters that train are exactly those it reports")
  void trainableParametersAreExactlyWhatItReports() {
    requireTraining();
    try (KitRun.Session session = run.open().apply()) {
      List<String> trainable = session.trainable();
      report("%s", MethodSetup.trainableLine(session.view));
      assertThat(trainable).as("something trains").isNotEmpty();
      Map<String, ParameterView> parameters = session.parameters();
      if (session.isAdapter()) {
        AdapterState state = session.adapter().state();
        Map<String, String> saved = new LinkedHashMap<>();
        for (String key : state.tensors().keySet()) {
          List<String> matches = trainable.stream().filter(name -> key.equals(name) || key.endsWith("." + name)).toList();
          assertThat(matches).as("saved tensor %s is one trainable parameter (named <prefix>.<parameter name>); "
              + "trainable: %s", key, trainable).hasSize(1);
          assertThat(saved.put(matches.get(0), key)).as("parameter %s is saved once", matches.get(0)).isNull();
          ParameterView parameter = parameters.get(matches.get(0));
          assertThat(state.tensors().get(key).getShape()).as(key).isEqualTo(parameter.data().getShape());
          assertThat(state.tensors().get(key).toFloatArray()).as("%s holds the parameter's values", key)
              .containsExactly(parameter.data().toFloatArray());
        }
        assertThat(saved.keySet()).as("every trainable parameter is in the adapter's state, so that it is saved")
            .containsExactlyInAnyOrderElementsOf(trainable);
      } else if (session.isSelector()) {
        Set<String> selected = ((ParameterSelector) session.method()).trainable(session.view);
        assertThat(trainable).as("the parameters that train are those the selector selects")
            .containsExactlyInAnyOrderElementsOf(selected);
      }
      if (spec.trainableParameters().isPresent()) {
        long count = trainable.stream().mapToLong(name -> parameters.get(name).data().getShape().size()).sum();
        assertThat(count).as("trainable values on the kit model").isEqualTo(spec.trainableParameters().getAsLong());
        assertThat(MethodSetup.trainableLine(session.view))
            .startsWith(String.format(java.util.Locale.ROOT, "trainable params: %,d ||", count));
      }
    }
  }

  @Test
  @DisplayName("what it plans for the kit model is what create and apply do")
  void planIsWhatApplyDoes() {
    requireTraining();
    RunPlan plan = run.peft4j().plan(run.config(List.of()));
    for (RunPlan.MethodPlanned method : plan.methods()) {
      assumeTrue(method.priced(), () -> (method.id().equals(spec.id()) ? "the method cannot be priced"
          : "the method runs with " + method.id() + ", which cannot be priced") + ": its MethodFactory.plan returns "
          + "empty for the kit model, so there is no plan to compare with what apply does");
    }
    try (KitRun.Session session = run.open().apply()) {
      report("planned: %s", plan.counts().orElseThrow().peftLine());
      assertThat(PlanCheck.differences(plan, session.view))
          .as("where the model after create and apply differs from the plan of %s (MethodFactory.plan must describe "
              + "what apply does: the parameters it adds, with their shapes, and what trains)", spec.methods())
          .isEmpty();
    }
  }

  @Test
  @DisplayName("save then load gives identical outputs")
  void saveAndLoadGiveIdenticalOutputs() {
    requireTraining();
    Path saved = work.resolve("saved-" + System.nanoTime());
    float[] expected;
    boolean adapter;
    try (KitRun.Session session = run.open().apply()) {
      float[] initial = session.logits();
      session.perturbTrainable();
      expected = session.logits();
      assertThat(maxError(initial, expected)).as("moving what trains changes the output (else the method's "
          + "parameters do not take part in the forward pass)").isGreaterThan(VISIBLE);
      adapter = session.isAdapter();
      if (adapter) {
        AdapterFiles.write(saved, session.adapter().state(), run.modelFolder().toString());
      } else {
        ModelFiles.save(session.model, saved, run.modelFolder());
      }
    }
    if (adapter) {
      try (KitRun.Session session = run.open().apply()) {
        float[] fresh = session.logits();
        session.adapter().load(AdapterFiles.read(saved, session.manager));
        float[] loaded = session.logits();
        double error = maxError(expected, loaded);
        report("adapter saved and loaded: max abs difference %.3g", error);
        assertThat(maxError(fresh, loaded)).as("load() changes the adapter").isGreaterThan(VISIBLE);
        assertThat(error).as("outputs after save and load").isLessThanOrEqualTo(SAME);
      }
    } else {
      try (ai.djl.ndarray.NDManager manager = ai.djl.engine.Engine.getEngine("PyTorch").newBaseManager()) {
        CausalLm model = ModelFiles.load(saved, manager);
        double error = maxError(expected, KitModel.logits(model, manager));
        report("model saved and loaded: max abs difference %.3g", error);
        assertThat(error).as("outputs after save and load").isLessThanOrEqualTo(SAME);
      }
    }
  }

  @Test
  @DisplayName("merge gives the unmerged forward, and unmerge restores the base")
  void mergeEqualsTheUnmergedForward() {
    assumeTrue(descriptor().has(MethodCapability.MERGES), "does not declare MERGES: see mergeIsRefusedUnlessDeclared");
    requireTraining();
    assertThat(descriptor().is(MethodKind.ADAPTER)).as("MERGES is a capability of adapters").isTrue();
    try (KitRun.Session session = run.open().apply()) {
      session.perturbTrainable();
      Map<String, float[]> before = session.snapshot();
      float[] unmerged = session.logits();
      for (boolean safe : new boolean[] {true, false}) {
        session.adapter().merge(safe);
        double error = maxError(unmerged, session.logits());
        Set<String> changed = changed(before, session.snapshot());
        report("merge(safe = %s): max abs difference from the unmerged forward %.3g; %d tensors changed", safe, error,
            changed.size());
        assertThat(changed).as("merge changes base weights").isNotEmpty();
        assertThat(error).as("merged forward vs unmerged").isLessThanOrEqualTo(MERGED);
        session.adapter().unmerge();
        assertThat(maxError(unmerged, session.logits())).as("forward after unmerge").isLessThanOrEqualTo(MERGED);
        Map<String, float[]> after = session.snapshot();
        for (Map.Entry<String, float[]> entry : before.entrySet()) {
          assertThat(maxError(entry.getValue(), after.get(entry.getKey()))).as("%s after unmerge", entry.getKey())
              .isLessThanOrEqualTo(SAME);
        }
      }
    }
  }

  // ---- training ----

  @Test
  @DisplayName("a training step changes only the parameters it says train")
  void aTrainingStepChangesOnlyWhatTrains() {
    requireTraining();
    try (KitRun.Session session = run.open().apply()) {
      Map<String, float[]>[] last = new Map[] {session.snapshot()};
      Set<String> everTrained = new HashSet<>();
      Set<String> everChanged = new HashSet<>();
      List<String> failures = new ArrayList<>();
      session.train(4, (step, trained) -> {
        Map<String, float[]> now = session.snapshot();
        Set<String> changed = changed(last[0], now);
        last[0] = now;
        everTrained.addAll(trained);
        everChanged.addAll(changed);
        Set<String> outside = new TreeSet<>(changed);
        outside.removeAll(trained);
        if (!outside.isEmpty()) {
          failures.add("step " + step + " changed parameters that did not train: " + outside);
        }
        if (changed.isEmpty()) {
          failures.add("step " + step + " changed nothing");
        }
      });
      assertThat(failures).isEmpty();
      Set<String> never = new TreeSet<>(everTrained);
      never.removeAll(everChanged);
      assertThat(never).as("parameters that trained but never changed in 4 steps").isEmpty();
    }
  }

  @Test
  @DisplayName("no native memory grows across training steps")
  void nativeMemoryDoesNotGrowAcrossSteps() {
    requireTraining();
    try (KitRun.Session session = run.open().apply()) {
      List<LiveArrays> measured = new ArrayList<>();
      Trainer.Result result = session.train(WARMUP_STEPS + MEASURED_STEPS, (step, trained) -> {
        if (step > WARMUP_STEPS) {
          measured.add(LiveArrays.of(session.manager));
        }
      });
      assertThat(result.steps()).isEqualTo(WARMUP_STEPS + MEASURED_STEPS);
      assertThat(measured).hasSize(MEASURED_STEPS);
      List<LiveArrays> first = measured.subList(0, MEASURED_STEPS / 2);
      List<LiveArrays> second = measured.subList(MEASURED_STEPS / 2, MEASURED_STEPS);
      report("live arrays after steps %d..%d: %s", WARMUP_STEPS + 1, WARMUP_STEPS + MEASURED_STEPS, measured);
      // Methods may make and drop state (a projector, a block's optimizer state): what they hold may go up and down,
      // but never past what it was in the first half. A leak of one array a step exceeds it by half the steps.
      assertThat(max(second, LiveArrays::count)).as("live arrays, most in the second half vs the first: %s", measured)
          .isLessThanOrEqualTo(max(first, LiveArrays::count));
      assertThat(max(second, LiveArrays::bytes)).as("bytes of live arrays, second half vs first: %s", measured)
          .isLessThanOrEqualTo(max(first, LiveArrays::bytes));
    }
  }

  // ---- helpers ----

  private DiscoveredMethod discovered() {
    DiscoveredMethod found = run.peft4j().methods().get(spec.id());
    if (found == null) {
      fail("%s is not discovered (see isDiscoveredById); refused: %s", spec.id(), run.peft4j().discovery().refused());
    }
    return found;
  }

  private MethodDescriptor descriptor() {
    return discovered().descriptor();
  }

  private MethodFactory<?> factory() {
    return discovered().factory();
  }

  private void requireTraining() {
    assumeTrue(spec.trainingUnavailable().isEmpty(),
        () -> spec.id() + " declares that it cannot train yet: " + spec.trainingUnavailable().get());
  }

  private void report(String format, Object... arguments) {
    System.out.println("[tck " + spec.id() + "] " + String.format(java.util.Locale.ROOT, format, arguments));
  }

  private static String quoted(String key) {
    return "\"" + key.replace("\"", "\\\"") + "\"";
  }

  private static Set<String> changed(Map<String, float[]> before, Map<String, float[]> after) {
    Set<String> changed = new TreeSet<>();
    after.forEach((name, values) -> {
      float[] old = before.get(name);
      if (old == null || !java.util.Arrays.equals(old, values)) {
        changed.add(name);
      }
    });
    return changed;
  }

  private static double maxError(float[] a, float[] b) {
    assertThat(b).as("same number of values").hasSameSizeAs(a);
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      double d = Math.abs((double) a[i] - b[i]);
      if (Double.isNaN(d)) {
        return Double.POSITIVE_INFINITY;
      }
      max = Math.max(max, d);
    }
    return max;
  }

  private static long max(List<LiveArrays> values, java.util.function.ToLongFunction<LiveArrays> field) {
    return values.stream().mapToLong(field).max().orElse(0);
  }
}
