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
      case NUMBER -> number((Number) value.unwrapped());
      default -> String.valueOf(value.unwrapped());
    };
  }

  /** As a run file would say it: 8, 2.0, 0.05, 1e-6. */
  static String number(Number n) {
    if (!(n instanceof Double d)) {
      return n.toString();
    }
    if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      return String.format(java.util.Locale.ROOT, "%.1f", d);
    }
    return new java.math.BigDecimal(Double.toString(d)).stripTrailingZeros().toString().toLowerCase(java.util.Locale.ROOT);
  }

  private static String word(String text) {
    return text.matches("[A-Za-z_][A-Za-z0-9_./-]*") ? text : "\"" + text.replace("\"", "\\\"") + "\"";
  }
}
