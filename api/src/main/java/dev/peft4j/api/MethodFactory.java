package dev.peft4j.api;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;
import static org.apiguardian.api.API.Status.STABLE;

import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.plan.MethodPlan;
import dev.peft4j.api.plan.ModelShape;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * Describes a method, reads its settings eagerly and creates it.
 *
 * <p>Lifecycle: the runtime calls {@link #descriptor()} at discovery, {@link #readSettings} and
 * {@link #check} when it validates a run (before any weight is loaded), {@link #plan} when it
 * plans one ({@code peft4j plan}), and {@link #create} only when the run really starts.
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

  /**
   * What the method would do to {@code model} — parameters added, parameters made trainable, optimizer
   * costs — computed from shapes alone, without allocating arrays; {@code peft4j plan} counts trainable
   * parameters and prices memory from it. Called only for valid settings, with the model as the
   * methods planned before this one left it (adapters and selectors in the order of {@code methods},
   * then the other methods).
   *
   * <p>The plan must agree with what {@link #create} and {@code apply} do; the plugin test kit checks
   * it. The default says that the method cannot be priced: the planner then reports so for this method
   * rather than guess.
   *
   * @return the plan, or empty when the method cannot be priced
   */
  @API(status = EXPERIMENTAL, since = "0.2")
  default Optional<MethodPlan> plan(S settings, ModelShape model) {
    return Optional.empty();
  }
}
