package dev.peft4j.api;

import static org.apiguardian.api.API.Status.STABLE;

import dev.peft4j.api.rules.Rule;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.apiguardian.api.API;

/**
 * What a method is, as data the runtime can check before anything heavy happens.
 *
 * @param id lower-case kebab name ({@code lora}, {@code galore}); the settings live under {@link
 *     #configPath()}
 * @param kinds what the method does to a run; not empty
 * @param version the method's own version, shown by {@code peft4j methods}
 * @param description one line for {@code peft4j methods}
 * @param capabilities facts that rules between methods refer to
 * @param rules the method's conflicts and requirements, checked before a run starts
 */
@API(status = STABLE, since = "0.1")
public record MethodDescriptor(
    String id,
    Set<MethodKind> kinds,
    String version,
    String description,
    Set<MethodCapability> capabilities,
    List<Rule> rules) {

  private static final Pattern ID = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");

  public MethodDescriptor {
    Objects.requireNonNull(id, "id is null");
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "method id '" + id + "' is not lower-case kebab (letters, digits and single dashes, starting with a letter)");
    }
    kinds = Set.copyOf(Objects.requireNonNull(kinds, "kinds is null"));
    if (kinds.isEmpty()) {
      throw new IllegalArgumentException("method '" + id + "' declares no kind");
    }
    Objects.requireNonNull(version, "version is null");
    Objects.requireNonNull(description, "description is null");
    capabilities = Set.copyOf(Objects.requireNonNull(capabilities, "capabilities is null"));
    rules = List.copyOf(Objects.requireNonNull(rules, "rules is null"));
  }

  /** Where the method's settings live in a run file and in its {@code reference.conf}. */
  public String configPath() {
    return "peft4j." + id;
  }

  public boolean is(MethodKind kind) {
    return kinds.contains(kind);
  }

  public boolean has(MethodCapability capability) {
    return capabilities.contains(capability);
  }

  /**
   * The version of a method's code as its jar manifest states it ({@code Implementation-Version}),
   * or {@code "dev"} when the classes do not come from a built jar.
   */
  public static String versionOf(Class<?> methodClass) {
    String version = methodClass.getPackage() == null ? null : methodClass.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }
}
