package dev.peft4j.runtime.run;

import ai.djl.ndarray.NDManager;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.peft4j.api.AdapterMethod;
import dev.peft4j.api.AdapterState;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.Peft4jException;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.config.SettingsReader;
import dev.peft4j.runtime.io.AdapterFiles;
import dev.peft4j.runtime.model.llama.LlamaForCausalLM;
import dev.peft4j.runtime.model.llama.LlamaModelView;
import dev.peft4j.runtime.plugin.DiscoveredMethod;
import dev.peft4j.runtime.plugin.Discovery;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Attaches a saved PEFT adapter to a model, its settings taken from the folder's {@code
 * adapter_config.json} (for {@code generate}, {@code evaluate} and {@code merge}, which have no run file).
 */
public final class Adapters {

  /** PEFT's adapter_config.json keys and the LoRA settings they set. */
  private static final Map<String, String> LORA_KEYS = Map.of(
      "r", "rank", "lora_alpha", "alpha", "target_modules", "target", "use_rslora", "use-rslora",
      "use_dora", "use-dora", "bias", "bias", "layers_to_transform", "layers-to-transform",
      "rank_pattern", "rank-pattern", "alpha_pattern", "alpha-pattern", "exclude_modules", "exclude-modules");

  private Adapters() {}

  /** Reads {@code folder}, creates its method, attaches it to {@code model} and loads its weights. */
  public static AdapterMethod attach(Path folder, LlamaForCausalLM model, Discovery discovery, NDManager manager) {
    AdapterState state = AdapterFiles.read(folder, manager);
    Object type = state.config().get("peft_type");
    if (!"LORA".equals(type)) {
      throw new Peft4jException(folder.resolve(AdapterFiles.CONFIG) + ": peft_type " + type
          + " is not supported by the built-in adapters (LORA is)");
    }
    DiscoveredMethod lora = discovery.methods().get("lora");
    Map<String, Object> settings = new LinkedHashMap<>();
    LORA_KEYS.forEach((peftKey, ours) -> {
      Object value = state.config().get(peftKey);
      if (value != null && !(value instanceof Map<?, ?> map && map.isEmpty())) {
        settings.put(ours, value);
      }
    });
    Object init = state.config().get("init_lora_weights");
    if (init instanceof String text && text.startsWith("pissa_niter_")) {
      throw new Peft4jException(folder.resolve(AdapterFiles.CONFIG) + ": init_lora_weights " + text + " cannot be "
          + "reloaded exactly (its randomized decomposition of the base is not reproducible); merge it in the run that "
          + "trained it, or train with lora.init = pissa");
    }
    if ("pissa".equals(init) || "gaussian".equals(init)) {
      // PiSSA's base keeps the residual of the decomposition, which re-running the initialisation rebuilds.
      settings.put("init", init);
    }
    Config config = ConfigFactory.empty();
    for (Map.Entry<String, Object> entry : settings.entrySet()) {
      config = config.withValue("peft4j.lora." + entry.getKey(), ConfigValueFactory.fromAnyRef(entry.getValue(),
          folder.resolve(AdapterFiles.CONFIG).toString()));
    }
    SettingsReader reader = new SettingsReader(config.withFallback(discovery.reference()), "peft4j.lora");
    Object parsed = lora.factory().readSettings(reader);
    reader.throwIfProblems();
    AdapterMethod adapter = (AdapterMethod) create(lora.factory(), parsed, new RuntimeMethodContext(manager, 0));
    LlamaModelView view = new LlamaModelView(model);
    view.parameters().forEach(p -> p.setTrainable(false));
    adapter.apply(view);
    adapter.load(state);
    adapter.setTraining(false);
    return adapter;
  }

  @SuppressWarnings("unchecked")
  private static <S> PeftMethod create(MethodFactory<S> factory, Object settings, RuntimeMethodContext context) {
    return factory.create((S) settings, context);
  }
}
