package dev.peft4j.tck;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.apiguardian.api.API;

/**
 * What a {@link MethodContract} checks: a method's id, the settings to run it with, and the promises it
 * makes. Built fluently:
 *
 * <pre>{@code
 * MethodUnderTest.method("ia3")
 *     .promises(Promise.UNCHANGED_OUTPUT_AT_INIT)
 *     .breaks("not-with-selector", "methods = [ia3, freeze]")
 *     .trainableParameters(192);
 * }</pre>
 *
 * <p>Settings and examples are lines of a run file, inside {@code peft4j { }}: {@code "ia3.target = [k_proj]"},
 * {@code "methods = [full, galore]"}, {@code "model.quantization = nf4"}.
 */
@API(status = EXPERIMENTAL, since = "0.1")
public final class MethodUnderTest {

  /** A rule example: run lines that must break the rule. */
  record RuleExample(String rule, List<String> lines) {}

  /** A setting the method documents as unsupported: it must fail with an error whose message contains {@code message}. */
  record Unsupported(String message, List<String> lines) {}

  private final String id;
  private final List<String> companions = new ArrayList<>();
  private final List<String> settings = new ArrayList<>();
  private final Set<Promise> promises = EnumSet.noneOf(Promise.class);
  private final List<RuleExample> ruleExamples = new ArrayList<>();
  private final Map<String, String> rulesNotExercised = new LinkedHashMap<>();
  private final List<Unsupported> unsupported = new ArrayList<>();
  private final List<Path> pluginFolders = new ArrayList<>();
  private OptionalLong trainableParameters = OptionalLong.empty();
  private String model = "llama";
  private String trainingUnavailable;

  private MethodUnderTest(String id) {
    this.id = Objects.requireNonNull(id, "id is null");
  }

  /** The method with this id, as {@code peft4j methods} lists it. */
  public static MethodUnderTest method(String id) {
    return new MethodUnderTest(id);
  }

  /**
   * Methods a run needs besides this one (an optimizer hook needs a selector: {@code runWith("full")}). They come
   * first in {@code methods}.
   */
  public MethodUnderTest runWith(String... methods) {
    companions.addAll(List.of(methods));
    return this;
  }

  /** Run-file lines every check uses, such as {@code "lora.rank = 4"}; defaults fill in the rest. */
  public MethodUnderTest settings(String... lines) {
    settings.addAll(List.of(lines));
    return this;
  }

  public MethodUnderTest promises(Promise... promised) {
    promises.addAll(List.of(promised));
    return this;
  }

  /**
   * A run that breaks the declared rule {@code rule}: the kit validates the run (the method's settings, then
   * {@code lines}) and requires a violation of that rule, declared by this method. Every declared rule needs
   * an example, or {@link #ruleNotExercised}.
   */
  public MethodUnderTest breaks(String rule, String... lines) {
    ruleExamples.add(new RuleExample(rule, List.of(lines)));
    return this;
  }

  /** A declared rule the kit cannot make fire on this machine (a rule about a GPU), with the reason. */
  public MethodUnderTest ruleNotExercised(String rule, String reason) {
    rulesNotExercised.put(rule, reason);
    return this;
  }

  /**
   * Settings the method documents as unsupported: validating the run, or creating the method, must fail with
   * an error (a {@code ConfigurationException} or an {@code UnsupportedFeatureException}) whose message
   * contains {@code message}.
   */
  public MethodUnderTest unsupported(String message, String... lines) {
    unsupported.add(new Unsupported(message, List.of(lines)));
    return this;
  }

  /**
   * Runs every check on the kit's model of another model type, one of {@link KitModel#MODEL_TYPES} ({@code llama}
   * when not said): to show that a method keeps its contract on each family.
   */
  public MethodUnderTest onModel(String modelType) {
    model = KitModel.checked(modelType);
    return this;
  }

  /** How many values train on the kit's model (see {@link KitModel}); the kit compares its trainable-parameters line. */
  public MethodUnderTest trainableParameters(long count) {
    trainableParameters = OptionalLong.of(count);
    return this;
  }

  /**
   * Folders to discover plugins in, as {@code --plugins} does: to check a built jar in its own class loader. The
   * method must then not be on the test's classpath as well (an id provided twice stops discovery).
   */
  public MethodUnderTest pluginFolder(Path folder) {
    pluginFolders.add(folder);
    return this;
  }

  /**
   * The method cannot train yet and says so: creating it must throw {@code UnsupportedFeatureException}. The
   * checks that need a created method are then skipped with {@code reason}; remove this line when it trains.
   */
  public MethodUnderTest trainingUnavailable(String reason) {
    trainingUnavailable = Objects.requireNonNull(reason, "reason is null");
    return this;
  }

  String id() {
    return id;
  }

  String model() {
    return model;
  }

  List<String> methods() {
    List<String> methods = new ArrayList<>(companions);
    methods.add(id);
    return methods;
  }

  List<String> settings() {
    return List.copyOf(settings);
  }

  Set<Promise> promises() {
    return Set.copyOf(promises);
  }

  List<RuleExample> ruleExamples() {
    return List.copyOf(ruleExamples);
  }

  Map<String, String> rulesNotExercised() {
    return Map.copyOf(rulesNotExercised);
  }

  List<Unsupported> unsupported() {
    return List.copyOf(unsupported);
  }

  List<Path> pluginFolders() {
    return List.copyOf(pluginFolders);
  }

  OptionalLong trainableParameters() {
    return trainableParameters;
  }

  Optional<String> trainingUnavailable() {
    return Optional.ofNullable(trainingUnavailable);
  }

  @Override
  public String toString() {
    return "method " + id + (companions.isEmpty() ? "" : " (with " + String.join(", ", companions) + ")");
  }
}
