package dev.peft4j.runtime.validate;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.config.ConfigurationException;
import dev.peft4j.api.config.Origins;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.config.Suggestions;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.rules.Condition;
import dev.peft4j.api.rules.Rule;
import dev.peft4j.api.rules.Violation;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.config.RunConfig;
import dev.peft4j.runtime.config.UnknownKeys;
import dev.peft4j.runtime.model.ModelConfig;
import dev.peft4j.runtime.model.ModelConfigException;
import dev.peft4j.runtime.model.ModelFamilies;
import dev.peft4j.runtime.plugin.DiscoveredMethod;
import dev.peft4j.runtime.plugin.Discovery;
import dev.peft4j.runtime.rules.ChosenMethods;
import dev.peft4j.runtime.rules.CoreRules;
import dev.peft4j.runtime.rules.DefaultRunFacts;
import dev.peft4j.runtime.rules.RuleChecker;
import dev.peft4j.runtime.rules.RunFacts;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a run before anything heavy happens: unknown keys, every setting of the runtime and of the
 * chosen methods, the model's config.json against the methods' settings, and every rule between
 * methods. Nothing stops at the first problem; the report has them all.
 */
public final class RunValidator {

  private static final Pattern LINE = Pattern.compile("(.*):(\\d+)");

  /** Problems set in a file first, by file and line; then those set elsewhere (overrides, defaults), as found. */
  private static final Comparator<SettingProblem> IN_FILE_ORDER = Comparator
      .comparing((SettingProblem p) -> fileAndLine(p.origin())[0])
      .thenComparingInt(p -> Integer.parseInt(fileAndLine(p.origin())[1]));

  private final Discovery discovery;
  private final Function<Optional<ModelInfo>, RunFacts> facts;

  @Inject
  public RunValidator(Discovery discovery) {
    this(discovery, DefaultRunFacts::new);
  }

  /** With facts of the caller's choosing (tests pin the device's bf16 support). */
  public RunValidator(Discovery discovery, Function<Optional<ModelInfo>, RunFacts> facts) {
    this.discovery = discovery;
    this.facts = facts;
  }

  /**
   * @throws ConfigurationException when the settings have a shape no check expects (a block that is a list), as
   *     Typesafe Config reports it, with where it was set
   */
  public ValidationReport validate(RunConfig run) {
    try {
      return check(run);
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigurationException(List.of(new SettingProblem("(settings)",
          e.origin() == null ? run.displayName() : Origins.describe(e.origin()), e.getMessage()
              + ": a setting has another type than peft4j expects there; compare with `peft4j methods` and examples/")));
    }
  }

  private ValidationReport check(RunConfig run) {
    Config user = resolvedUser(run);
    List<SettingProblem> problems = new ArrayList<>(new UnknownKeys(discovery.reference()).find(user));
    SettingsReader root = new SettingsReader(run.merged(), "peft4j");
    CoreSettings core = CoreSettings.read(root);
    problems.addAll(root.problems());
    dataFiles(core.data(), root.block("peft4j.data"), problems);

    ChosenMethods chosen = chosenMethods(run, core, problems);
    Map<String, Object> settings = new LinkedHashMap<>();
    Map<String, SettingsReader> readers = new LinkedHashMap<>();
    for (MethodDescriptor descriptor : chosen.descriptors()) {
      SettingsReader reader = new SettingsReader(run.merged(), descriptor.configPath());
      settings.put(descriptor.id(), discovery.methods().get(descriptor.id()).factory().readSettings(reader));
      readers.put(descriptor.id(), reader);
    }

    Optional<ModelInfo> model = model(core, root, problems);
    if (model.isPresent()) {
      for (Map.Entry<String, Object> entry : settings.entrySet()) {
        check(discovery.methods().get(entry.getKey()).factory(), entry.getValue(), model.get(), readers.get(entry.getKey()));
      }
    }
    readers.values().forEach(reader -> problems.addAll(reader.problems()));

    List<Violation> violations = new ArrayList<>();
    boolean methodsKnown = chosen.descriptors().size() == core.methods().size();
    if (methodsKnown && !core.methods().isEmpty()) {
      List<MethodDescriptor> known = discovery.methods().values().stream().map(DiscoveredMethod::descriptor).toList();
      violations.addAll(new RuleChecker(known).check(chosen, run.merged(), facts.apply(model)));
      violations.addAll(unusedSettings(user, chosen, violations));
    }
    problems.sort(IN_FILE_ORDER);
    return new ValidationReport(run, core, settings, model, problems, violations);
  }


  /**
   * What the user wrote, its substitutions resolved as in the merged configuration ({@code ${?UNSET}} gone): its
   * values can be looked at, which those of an unresolved configuration cannot (they throw). Typesafe Config cannot
   * resolve every configuration it resolved merged (a {@code ${?X}} merged with itself ends in its BugOrBroken):
   * then the user's as written, which the checks below look at with care.
   */
  private static Config resolvedUser(RunConfig run) {
    try {
      return run.user().resolveWith(run.merged());
    } catch (com.typesafe.config.ConfigException e) {
      return run.user();
    }
  }

  private static String[] fileAndLine(String origin) {
    Matcher m = LINE.matcher(origin);
    return m.matches() ? new String[] {m.group(1), m.group(2)} : new String[] {"\uffff", "0"};
  }

  @SuppressWarnings("unchecked")
  private static <S> void check(MethodFactory<S> factory, Object settings, ModelInfo model, SettingsReader reader) {
    factory.check((S) settings, model, reader);
  }

  private ChosenMethods chosenMethods(RunConfig run, CoreSettings core, List<SettingProblem> problems) {
    ConfigValue list = run.merged().getValue("peft4j.methods");
    String listOrigin = Origins.describe(list.origin());
    if (core.methods().isEmpty()) {
      problems.add(new SettingProblem("peft4j.methods", listOrigin,
          "no method is chosen: set methods, e.g. methods = [lora]; `peft4j methods` lists them: "
              + String.join(", ", discovery.methods().keySet())));
    }
    List<MethodDescriptor> descriptors = new ArrayList<>();
    Map<String, String> origins = new LinkedHashMap<>();
    for (int i = 0; i < core.methods().size(); i++) {
      String id = core.methods().get(i);
      String origin = list.valueType() == ConfigValueType.LIST ? Origins.describe(((ConfigList) list).get(i).origin()) : listOrigin;
      DiscoveredMethod method = discovery.methods().get(id);
      if (origins.containsKey(id)) {
        problems.add(new SettingProblem("peft4j.methods", origin, "method '" + id + "' is chosen twice: remove one"));
      } else if (method == null) {
        problems.add(new SettingProblem("peft4j.methods", origin, unknownMethod(id)));
      } else {
        descriptors.add(method.descriptor());
        origins.put(id, origin);
      }
    }
    return new ChosenMethods(descriptors, origins, listOrigin);
  }

  private String unknownMethod(String id) {
    StringBuilder message = new StringBuilder("unknown method '").append(id).append("'");
    Suggestions.closest(id, discovery.methods().keySet())
        .ifPresent(s -> message.append(": did you mean '").append(s).append("'?"));
    message.append(" Known methods: ").append(String.join(", ", discovery.methods().keySet()));
    if (!discovery.refused().isEmpty()) {
      message.append(". Some plugins were refused (see `peft4j methods`)");
    }
    return message.toString();
  }

  private static Optional<ModelInfo> model(CoreSettings core, SettingsReader root, List<SettingProblem> problems) {
    if (core.model().path().isEmpty()) {
      problems.add(new SettingProblem("peft4j.model.path", Origins.DEFAULT,
          "must be set to a Hugging Face model folder (config.json, *.safetensors, tokenizer.json)"));
      return Optional.empty();
    }
    SettingsReader model = root.block("peft4j.model");
    if (!Files.isDirectory(core.model().path().get())) {
      problems.add(new SettingProblem("peft4j.model.path", model.originOf("path"),
          "folder " + core.model().path().get() + " does not exist: check the path (relative paths in a run file are "
              + "relative to the file's folder)"));
      return Optional.empty();
    }
    ModelInfo info;
    try {
      ModelConfig config = ModelFamilies.BUILT_IN.read(core.model().path().get());
      info = ModelFamilies.BUILT_IN.of(config).info(config);
    } catch (ModelConfigException e) {
      problems.add(new SettingProblem("peft4j.model.path", model.originOf("path"), e.getMessage()));
      // The rules may still say more from what the file states (freeze without a layer count).
      return ModelFamilies.BUILT_IN.structure(core.model().path().get());
    }
    try {
      // What plan and train check too: the weights against config.json.
      dev.peft4j.runtime.model.ModelCheck.check(core.model().path().get());
      return Optional.of(info);
    } catch (ModelConfigException | dev.peft4j.runtime.io.safetensors.SafetensorsException e) {
      problems.add(new SettingProblem("peft4j.model.path", model.originOf("path"), e.getMessage()));
      return Optional.of(info);
    }
  }

  /** The files of data.train and data.eval, when set, must exist; data.val-size is a fraction or a count. */
  private static void dataFiles(CoreSettings.Data data, SettingsReader reader, List<SettingProblem> problems) {
    if (data.valSize() > 0 && !data.eval().isEmpty()) {
      problems.add(new SettingProblem("peft4j.data.val-size", reader.originOf("val-size"), "holds out examples of "
          + "data.train for evaluation, and data.eval names eval files too: set one of them (as LLaMA-Factory, which "
          + "refuses val_size with eval_dataset)"));
    }
    if (data.valSize() >= 1 && data.valSize() != Math.rint(data.valSize())) {
      problems.add(new SettingProblem("peft4j.data.val-size", reader.originOf("val-size"), "is " + data.valSize()
          + ": a fraction of the examples is below 1, a number of examples is whole; write 0.1 or 100, say"));
    }
    for (Map.Entry<String, List<Path>> files : List.of(Map.entry("train", data.train()), Map.entry("eval", data.eval()))) {
      for (Path path : files.getValue()) {
        if (!Files.isRegularFile(path)) {
          problems.add(new SettingProblem("peft4j.data." + files.getKey(), reader.originOf(files.getKey()),
              (Files.isDirectory(path) ? path + " is a folder: expected a JSON-lines file"
                  : "file " + path + " does not exist") + ": check the path (relative paths in a run file are relative "
                  + "to the file's folder)"));
        }
      }
    }
  }

  /**
   * Settings the user wrote for a method the run does not choose have no effect: a warning, unless a
   * rule already reported them (LoRA options without LoRA are errors).
   */
  private List<Violation> unusedSettings(Config user, ChosenMethods chosen, List<Violation> reported) {
    List<Violation> warnings = new ArrayList<>();
    for (DiscoveredMethod method : discovery.methods().values()) {
      String path = method.descriptor().configPath();
      Set<Map.Entry<String, ConfigValue>> entries;
      try {
        if (chosen.contains(method.id()) || !user.hasPath(path)) {
          continue;
        }
        entries = user.getConfig(path).entrySet();
      } catch (com.typesafe.config.ConfigException e) {
        continue; // unresolved (see resolvedUser): this warning is not worth an error
      }
      List<String> evidence = new ArrayList<>();
      for (Map.Entry<String, ConfigValue> entry : entries) {
        String key = method.id() + "." + entry.getKey();
        if (!reportedByRule(reported, key)) {
          evidence.add(key + " at " + Origins.describe(entry.getValue().origin()));
        }
      }
      if (!evidence.isEmpty()) {
        Rule rule = Rule.warning("settings-of-unchosen-method",
            method.id() + " is not in methods, so its settings have no effect: add " + method.id()
                + " to methods or remove them",
            Condition.notChosen(method.id()));
        warnings.add(new Violation(CoreRules.DECLARED_BY, rule, List.of(), evidence));
      }
    }
    return warnings;
  }

  private static boolean reportedByRule(List<Violation> reported, String key) {
    return reported.stream().flatMap(v -> v.rule().when().stream())
        .anyMatch(c -> c instanceof Condition.Setting s && s.path().equals(key));
  }
}
