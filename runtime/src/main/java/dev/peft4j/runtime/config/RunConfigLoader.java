package dev.peft4j.runtime.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import dev.peft4j.api.config.ConfigurationException;
import dev.peft4j.api.config.Origins;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.runtime.config.llamafactory.LlamaFactoryRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Reads a run: the HOCON run file, then overrides on top ({@code -Dpeft4j.lora.rank=16} system
 * properties, then {@code --set lora.rank=16}), then every module's defaults underneath.
 *
 * <p>A run file may wrap its keys in {@code peft4j { }} or write them at its top level; an override
 * key may leave out the {@code peft4j.} prefix. A {@code .yaml} or {@code .yml} run file is LLaMA-Factory's, translated
 * by {@link LlamaFactoryRun}; overrides in its names apply to it before the translation.
 */
public final class RunConfigLoader {

  static final String ROOT = "peft4j";

  private RunConfigLoader() {}

  /**
   * @param file the run file, or empty for a run made of overrides alone
   * @param overrides {@code key=value} pairs, highest priority last
   * @param systemProperties properties whose {@code peft4j.*} entries override the file
   * @param reference every module's defaults
   * @throws ConfigurationException when the file is missing or not valid HOCON
   */
  public static RunConfig load(Optional<Path> file, List<String> overrides, Properties systemProperties, Config reference) {
    Config user = ConfigFactory.empty();
    LlamaFactoryRun.Translation translation = null;
    if (file.isPresent() && LlamaFactoryRun.isYaml(file.get())) {
      // LLaMA-Factory's vocabulary: its names in --set override the YAML, peft4j's names the translation.
      List<String> theirs = overrides.stream().filter(RunConfigLoader::isLlamaFactoryOverride).toList();
      overrides = overrides.stream().filter(override -> !theirs.contains(override)).toList();
      translation = LlamaFactoryRun.translate(file.get(), theirs, Path.of("").toAbsolutePath());
      user = translation.config();
    } else if (file.isPresent()) {
      user = underRoot(parseFile(file.get()));
    }
    Config properties = propertyOverrides(systemProperties);
    user = properties.withFallback(user);
    List<SettingProblem> problems = new ArrayList<>();
    for (String override : overrides) {
      try {
        user = parseOverride(override).withFallback(user);
      } catch (ConfigurationException e) {
        problems.addAll(e.problems());
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigurationException(problems);
    }
    try {
      Config merged = user.withFallback(reference).resolve();
      return translation == null ? new RunConfig(file, user, merged)
          : new RunConfig(file, user, merged, translation.notes(), translation.overwrite(), translation.resume());
    } catch (ConfigException e) {
      throw new ConfigurationException(List.of(new SettingProblem(
          "(substitution)", e.origin() == null ? "?" : Origins.describe(e.origin()), clean(e))));
    } catch (StackOverflowError e) {
      throw tooDeep(file.map(Path::toString).orElse("the given settings"));
    }
  }

  private static Config parseFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ConfigurationException(List.of(new SettingProblem("(run file)", file.toString(),
          "the run file does not exist" + (Files.isDirectory(file) ? " (it is a folder)" : "")
              + ": check the path; examples are in the examples/ folder")));
    }
    try {
      return ConfigFactory.parseFile(file.toFile(),
          ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false));
    } catch (ConfigException e) {
      throw new ConfigurationException(List.of(new SettingProblem("(syntax)",
          e.origin() == null ? file.toString() : Origins.describe(e.origin()),
          "the run file is not valid HOCON: " + clean(e))));
    } catch (StackOverflowError e) {
      throw tooDeep(file.toString());
    }
  }

  /** Keys at the top level of a run file without a {@code peft4j} block belong under it. */
  private static Config underRoot(Config config) {
    if (config.root().containsKey(ROOT)) {
      com.typesafe.config.ConfigValue root = config.root().get(ROOT);
      if (!(root instanceof com.typesafe.config.ConfigObject) && isResolved(root)
          && root.valueType() != com.typesafe.config.ConfigValueType.OBJECT) {
        throw new ConfigurationException(List.of(new SettingProblem(ROOT, Origins.describe(root.origin()),
            "must be an object of settings, e.g. peft4j { methods = [lora] }")));
      }
      return config;
    }
    return config.root().atKey(ROOT);
  }

  private static boolean isResolved(com.typesafe.config.ConfigValue value) {
    try {
      value.valueType();
      return true;
    } catch (ConfigException.NotResolved e) {
      return false;
    }
  }

  /**
   * Whether an override is in LLaMA-Factory's names: its key is one word of letters, digits and underscores
   * ({@code lora_rank}), where peft4j's have dots or dashes ({@code lora.rank}) or are {@code methods}.
   */
  private static boolean isLlamaFactoryOverride(String override) {
    int equals = override.indexOf('=');
    String key = equals > 0 ? override.substring(0, equals).trim() : "";
    return key.matches("\\w+") && !key.equals("methods");
  }

  private static Config propertyOverrides(Properties properties) {
    Properties ours = new Properties();
    for (Map.Entry<Object, Object> entry : properties.entrySet()) {
      if (entry.getKey() instanceof String key && key.startsWith(ROOT + ".")) {
        ours.put(key, entry.getValue());
      }
    }
    return ConfigFactory.parseProperties(ours,
        ConfigParseOptions.defaults().setOriginDescription("-D system property"));
  }

  private static Config parseOverride(String override) {
    int equals = override.indexOf('=');
    if (equals <= 0) {
      throw new ConfigurationException(List.of(new SettingProblem("(--set)", "--set " + override,
          "an override must look like key=value, e.g. --set lora.rank=16")));
    }
    String key = override.substring(0, equals).trim();
    String value = override.substring(equals + 1).trim();
    String fullKey = key.startsWith(ROOT + ".") ? key : ROOT + "." + key;
    try {
      return ConfigFactory.parseString(fullKey + " = " + value,
          ConfigParseOptions.defaults().setOriginDescription("--set " + key + "=" + value));
    } catch (ConfigException e) {
      throw new ConfigurationException(List.of(new SettingProblem(fullKey, "--set " + override,
          "the value is not valid HOCON: " + clean(e) + ". Quote strings that hold special characters")));
    } catch (StackOverflowError e) {
      throw tooDeep("--set " + key);
    }
  }

  /** Typesafe Config's message without the origin it starts with (we print the origin ourselves). */
  static String clean(ConfigException e) {
    String message = e.getMessage();
    if (e.origin() != null) {
      String prefix = e.origin().description() + ": ";
      if (message.startsWith(prefix)) {
        return message.substring(prefix.length());
      }
    }
    return message;
  }

  /**
   * Typesafe Config parses and resolves by recursion: lists or objects nested some thousands deep exhaust the
   * stack. No run needs such nesting, so it is an error of the input, not a crash.
   */
  static ConfigurationException tooDeep(String where) {
    return new ConfigurationException(List.of(new SettingProblem("(syntax)", where,
        "lists or objects are nested too deeply to read (the parser ran out of stack): a run file nests a few "
            + "levels; check for a runaway [ or { in the file")));
  }
}
