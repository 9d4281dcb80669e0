package dev.peft4j.api;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;
import static org.apiguardian.api.API.Status.STABLE;

import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.plan.MethodPlan;
import dev.peft4j.api.plan.ModelShape;
import java.util.Map;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * Describes a method, reads its settings eagerly and creates it.
 *
 * <p>Lifecycle: the runtime calls {@link #descriptor()} at discovery, {@link #readSettings} and
 * {@link #check} when it validates a run (before any weight is loaded), {@link #plan} when it
 * plans one ({@code peft4j plan}), and {@link #create} only when the run really starts. For a saved
 * adapter given without a run file ({@code --adapter DIR}), {@link #settingsOfAdapter} turns its
 * {@code adapter_config.json} into settings, which then go through {@code readSettings}, {@code check}
 * and {@code create}.
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

  /**
   * The settings that recreate the adapter a saved {@code adapter_config.json} describes, if this method wrote
   * it — for {@code peft4j generate}, {@code evaluate} and {@code merge --adapter DIR}, which have no run file.
   * The runtime asks every adapter method; the one that claims the config has these settings read by {@link
   * #readSettings} (keys not given keep their defaults; a bad value is reported with the {@code
   * adapter_config.json} as its origin) and {@link #check checked}, and is then created, applied to the model
   * and {@linkplain AdapterMethod#load loaded} with the folder's tensors.
   *
   * <p>Claim a config by what your {@link AdapterMethod#state()} writes into it (PEFT's {@code peft_type}), and
   * return only settings that shape the adapter (targets, ranks, …), not training ones. The default claims
   * nothing: the method's adapters cannot be reattached without a run file.
   *
   * @param adapterConfig the {@code adapter_config.json} as JSON values: strings, numbers (as {@code Double}),
   *     booleans, nulls, lists and maps
   * @return the settings, keyed as in the method's block of {@code reference.conf} ({@code "rank"} for {@code
   *     peft4j.lora.rank}), with HOCON-able values; or empty when the config is not this method's
   * @throws UnsupportedFeatureException when the config is this method's but its adapter cannot be rebuilt (say
   *     why and what to do instead; the runtime names the file)
   */
  @API(status = EXPERIMENTAL, since = "0.2")
  default Optional<Map<String, Object>> settingsOfAdapter(Map<String, Object> adapterConfig) {
    return Optional.empty();
  }
}
