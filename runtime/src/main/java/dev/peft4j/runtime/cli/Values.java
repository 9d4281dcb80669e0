package dev.peft4j.runtime.cli;

import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import java.util.stream.Collectors;

/** Renders a setting's value the way a user writes it in a run file. */
final class Values {

  private Values() {}

  static String render(ConfigValue value) {
    return switch (value.valueType()) {
      case NULL -> "null";
      case STRING -> word((String) value.unwrapped());
      case LIST -> ((ConfigList) value).stream().map(Values::render).collect(Collectors.joining(", ", "[", "]"));
      case OBJECT -> ((ConfigObject) value).isEmpty() ? "{}" : value.render(ConfigRenderOptions.concise());
      default -> String.valueOf(value.unwrapped());
    };
  }

  private static String word(String text) {
    return text.matches("[A-Za-z_][A-Za-z0-9_./-]*") ? text : "\"" + text.replace("\"", "\\\"") + "\"";
  }
}
