package dev.peft4j.api;

import static org.apiguardian.api.API.Status.STABLE;

import java.util.Objects;
import org.apiguardian.api.API;

/**
 * The version of this SPI, in {@code major.minor} form.
 *
 * <p>A plugin reports the version it was <em>compiled</em> against by returning {@link #CURRENT}
 * from {@link MethodProvider#apiVersion()}: the constant is inlined by {@code javac}, so the value
 * travels inside the plugin's class file. The host accepts a plugin whose major version equals its
 * own and whose minor version is not newer than its own (new API only ever adds {@code default}
 * methods within a major version).
 */
@API(status = STABLE, since = "0.1")
public final class ApiVersion {

  /** The version of the API these classes implement. */
  public static final String CURRENT = "1.4";

  private ApiVersion() {}

  /**
   * Whether a plugin compiled against {@code pluginVersion} can run on a host at {@code hostVersion}.
   *
   * @throws IllegalArgumentException when either version is not of the form {@code major.minor}
   */
  public static boolean isCompatible(String pluginVersion, String hostVersion) {
    int[] plugin = parse(pluginVersion);
    int[] host = parse(hostVersion);
    return plugin[0] == host[0] && plugin[1] <= host[1];
  }

  static int[] parse(String version) {
    Objects.requireNonNull(version, "version is null");
    String[] parts = version.split("\\.");
    if (parts.length != 2 || !version.matches("\\d+\\.\\d+")) {
      throw new IllegalArgumentException("API version '" + version + "' is not of the form major.minor");
    }
    try {
      return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("API version '" + version + "' is not of the form major.minor", e);
    }
  }
}
