package dev.peft4j.api;

import static org.apiguardian.api.API.Status.STABLE;

import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.model.ModelInfo;
import org.apiguardian.api.API;

/**
 * Describes a method, reads its settings eagerly and creates it.
 *
 * <p>Lifecycle: the runtime calls {@link #descriptor()} at discovery, {@link #readSettings} and
 * {@link #check} when it validates a run (before any weight is loaded), and {@link #create} only
 * when the run really starts.
 *
 * @param <S> the method's settings record
 */
@API(status = STABLE, since = "0.1")
public interface MethodFactory<S> {

  MethodDescriptor descriptor();

  /**
   * Reads every setting of the method from its block ({@link MethodDescriptor#configPath()}),
   * defaults included. Report bad values through the reader; do not throw for them.
   */
  S readSettings(SettingsReader reader);

  /**
   * Checks settings against the model's structure, known from its {@code config.json} alone (for
   * example: a module name that does not exist), recording problems with {@link
   * SettingsReader#problem}. Called only when the method is chosen and the model's {@code
   * config.json} could be read.
   */
  default void check(S settings, ModelInfo model, SettingsReader reader) {}

  /**
   * Creates the method for a run. The returned object implements the interfaces of every kind its
   * descriptor declares ({@link AdapterMethod}, {@link ParameterSelector}, {@link OptimizerHook}).
   *
   * @throws UnsupportedFeatureException when the method cannot do what the settings ask
   */
  PeftMethod create(S settings, MethodContext context);
}
