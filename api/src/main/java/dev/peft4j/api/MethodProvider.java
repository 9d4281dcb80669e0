package dev.peft4j.api;

import static org.apiguardian.api.API.Status.STABLE;

import java.util.List;
import org.apiguardian.api.API;

/**
 * The one service a plugin jar registers with {@link java.util.ServiceLoader} (in {@code
 * META-INF/services/dev.peft4j.api.MethodProvider}). It must have a public no-argument constructor
 * and be cheap to create: heavy work belongs in {@link MethodFactory#create}.
 */
@API(status = STABLE, since = "0.1")
public interface MethodProvider {

  /**
   * The API version this plugin was compiled against. Implement it as {@code return
   * ApiVersion.CURRENT;} — the compiler copies the constant into the plugin, which is what lets the
   * host refuse a plugin built for an incompatible API.
   */
  String apiVersion();

  /** The methods this plugin contributes. */
  List<MethodFactory<?>> methods();
}
