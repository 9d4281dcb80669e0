package dev.peft4j.runtime.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.peft4j.api.config.Origins;
import dev.peft4j.api.config.SettingProblem;
import dev.peft4j.api.config.Suggestions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Finds keys the user wrote that no module defines, with a did-you-mean from the keys that exist.
 *
 * <p>An empty object in a module's defaults, nested inside the module's block (such as {@code
 * peft4j.lora.rank-pattern {}}), is a map whose keys the user chooses; everything else is checked.
 */
public final class UnknownKeys {

  private final Config reference;

  public UnknownKeys(Config reference) {
    this.reference = reference;
  }

  /** Every unknown key in {@code user}, in file order as far as HOCON keeps it. */
  public List<SettingProblem> find(Config user) {
    List<SettingProblem> problems = new ArrayList<>();
    for (Map.Entry<String, ConfigValue> entry : user.root().entrySet()) {
      if (!entry.getKey().equals(RunConfigLoader.ROOT)) {
        problems.add(new SettingProblem(entry.getKey(), Origins.describe(entry.getValue().origin()),
            "unknown key outside the peft4j block: put every setting inside peft4j { }, or write them all at the top level"));
      }
    }
    ConfigValue root = user.root().get(RunConfigLoader.ROOT);
    if (root instanceof ConfigObject object) {
      walk(object, List.of(RunConfigLoader.ROOT), problems);
    } else if (root != null) {
      problems.add(new SettingProblem(RunConfigLoader.ROOT, Origins.describe(root.origin()),
          "must be an object of settings, e.g. peft4j { methods = [lora] }"));
    }
    return problems;
  }

  private void walk(ConfigObject object, List<String> path, List<SettingProblem> problems) {
    for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
      List<String> childPath = append(path, entry.getKey());
      String full = ConfigUtil.joinPath(childPath);
      if (!reference.hasPathOrNull(full)) {
        problems.add(unknown(childPath, entry.getValue()));
        continue;
      }
      if (reference.getIsNull(full)) {
        continue;
      }
      ConfigValue defaults = reference.getValue(full);
      if (entry.getValue() instanceof ConfigObject child && defaults instanceof ConfigObject defaultObject) {
        boolean openMap = defaultObject.isEmpty() && childPath.size() >= 3;
        if (!openMap) {
          walk(child, childPath, problems);
        }
      }
    }
  }

  private SettingProblem unknown(List<String> path, ConfigValue value) {
    String key = path.get(path.size() - 1);
    List<String> parent = path.subList(0, path.size() - 1);
    StringBuilder message = new StringBuilder("unknown key '").append(key).append("'");
    Optional<String> sibling = Suggestions.closest(key, siblings(parent));
    if (sibling.isPresent()) {
      message.append(": did you mean '").append(sibling.get()).append("'?");
    } else {
      Optional<String> elsewhere = sameNameElsewhere(key);
      if (elsewhere.isPresent()) {
        message.append(": '").append(key).append("' is a setting of ").append(elsewhere.get())
            .append(", not of ").append(ConfigUtil.joinPath(parent));
      } else {
        message.append(" in ").append(ConfigUtil.joinPath(parent)).append(": known keys are ")
            .append(String.join(", ", siblings(parent)));
      }
    }
    if (isObject(value) && parent.size() == 1) {
      message.append(". `peft4j methods` lists the methods and their settings");
    }
    return new SettingProblem(ConfigUtil.joinPath(path), Origins.describe(value.origin()), message.toString());
  }

  /** Whether a value is an object; an unresolved substitution (whose type is not known yet) is not. */
  private static boolean isObject(ConfigValue value) {
    try {
      return value.valueType() == ConfigValueType.OBJECT;
    } catch (com.typesafe.config.ConfigException.NotResolved e) {
      return false;
    }
  }

  private TreeSet<String> siblings(List<String> parent) {
    String full = ConfigUtil.joinPath(parent);
    TreeSet<String> names = new TreeSet<>();
    if (reference.hasPath(full) && reference.getValue(full) instanceof ConfigObject object) {
      names.addAll(object.keySet());
    }
    return names;
  }

  /** The block that has a setting of this name, if exactly that name exists somewhere else. */
  private Optional<String> sameNameElsewhere(String key) {
    return reference.getObject(RunConfigLoader.ROOT).keySet().stream()
        .map(block -> RunConfigLoader.ROOT + "." + block)
        .filter(block -> reference.getValue(block) instanceof ConfigObject object && object.containsKey(key))
        .findFirst();
  }

  private static List<String> append(List<String> path, String key) {
    List<String> result = new ArrayList<>(path);
    result.add(key);
    return result;
  }
}
