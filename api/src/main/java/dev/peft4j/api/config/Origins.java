package dev.peft4j.api.config;

import static org.apiguardian.api.API.Status.MAINTAINED;

import com.typesafe.config.ConfigOrigin;
import org.apiguardian.api.API;

/** Says where a setting came from in the form users read best: {@code run.conf:12}, {@code default}. */
@API(status = MAINTAINED, since = "0.1")
public final class Origins {

  /** The origin of a value that comes from a module's {@code reference.conf}. */
  public static final String DEFAULT = "default";

  private Origins() {}

  public static String describe(ConfigOrigin origin) {
    if (origin == null) {
      return "unknown origin";
    }
    // A reference.conf is a resource whether it comes from a jar or a classes folder (which also has a filename).
    if (origin.resource() != null || (origin.url() != null && origin.url().toString().endsWith("reference.conf"))) {
      return DEFAULT;
    }
    if (origin.filename() != null) {
      return origin.lineNumber() >= 0 ? origin.filename() + ":" + origin.lineNumber() : origin.filename();
    }
    String description = origin.description();
    // Typesafe Config appends ": <line>" to string origins: a one-line override needs no line, others read file:line.
    return description.replaceFirst(": 1$", "").replaceFirst(": (\\d+)$", ":$1");
  }
}
