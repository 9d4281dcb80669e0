package dev.peft4j.runtime.setup;

import dev.peft4j.api.AdapterMethod;
import dev.peft4j.api.MethodContext;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.OptimizerHook;
import dev.peft4j.api.ParameterSelector;
import dev.peft4j.api.PeftMethod;
import dev.peft4j.api.PluginException;
import dev.peft4j.api.model.ModelView;
import dev.peft4j.api.model.ParameterView;
import dev.peft4j.runtime.plugin.DiscoveredMethod;
import dev.peft4j.runtime.plugin.Discovery;
import dev.peft4j.runtime.validate.ValidationReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Creates a validated run's methods, then applies them to the model: every parameter starts frozen,
 * adapters attach (and unfreeze what they add), selectors unfreeze what they choose.
 */
public final class MethodSetup {

  private MethodSetup() {}

  /** The created methods, in the order of {@code methods}, with their descriptors; the caller closes them. */
  public record Created(List<DiscoveredMethod> descriptions, List<PeftMethod> methods) {

    /** The methods by id, in the order of {@code methods}. */
    public Map<String, PeftMethod> byId() {
      Map<String, PeftMethod> byId = new java.util.LinkedHashMap<>();
      for (int i = 0; i < methods.size(); i++) {
        byId.put(descriptions.get(i).descriptor().id(), methods.get(i));
      }
      return byId;
    }
  }

  /** Creates every chosen method — cheap, so that one that cannot run fails before weights are loaded. */
  public static Created create(ValidationReport report, Discovery discovery, MethodContext context) {
    List<DiscoveredMethod> descriptions = new ArrayList<>();
    List<PeftMethod> created = new ArrayList<>();
    try {
      for (Map.Entry<String, Object> entry : report.settings().entrySet()) {
        DiscoveredMethod method = discovery.methods().get(entry.getKey());
        PeftMethod instance = create(method, entry.getValue(), context);
        descriptions.add(method);
        created.add(instance);
      }
    } catch (RuntimeException e) {
      created.forEach(PeftMethod::close);
      throw e;
    }
    return new Created(descriptions, created);
  }

  /** Applies created methods: every parameter starts frozen, adapters attach, selectors unfreeze what they choose. */
  public static void apply(Created created, ModelView model) {
    model.parameters().forEach(p -> p.setTrainable(false));
    for (int i = 0; i < created.methods().size(); i++) {
      PeftMethod instance = created.methods().get(i);
      if (instance instanceof AdapterMethod adapter) {
        adapter.apply(model);
      }
      if (instance instanceof ParameterSelector selector) {
        select(created.descriptions().get(i).descriptor(), selector.trainable(model), model);
      }
    }
  }

  /**
   * Creates one method from settings its factory read, and checks that it implements the interface of every kind
   * its descriptor declares.
   *
   * @throws PluginException when it does not (a bug of the plugin)
   */
  public static PeftMethod create(DiscoveredMethod method, Object settings, MethodContext context) {
    PeftMethod instance = create(method.factory(), settings, context);
    try {
      requireKinds(method, instance);
    } catch (PluginException e) {
      instance.close();
      throw e;
    }
    return instance;
  }

  @SuppressWarnings("unchecked")
  private static <S> PeftMethod create(MethodFactory<S> factory, Object settings, MethodContext context) {
    return factory.create((S) settings, context);
  }

  private static void requireKinds(DiscoveredMethod method, PeftMethod instance) {
    MethodDescriptor d = method.descriptor();
    List<String> missing = new ArrayList<>();
    if (d.is(MethodKind.ADAPTER) && !(instance instanceof AdapterMethod)) {
      missing.add("AdapterMethod");
    }
    if (d.is(MethodKind.SELECTOR) && !(instance instanceof ParameterSelector)) {
      missing.add("ParameterSelector");
    }
    if (d.is(MethodKind.OPTIMIZER_HOOK) && !(instance instanceof OptimizerHook)) {
      missing.add("OptimizerHook");
    }
    if (!missing.isEmpty()) {
      throw new PluginException("method " + d.id() + " (" + method.source() + ") declares kinds " + d.kinds()
          + " but its create() returned a " + instance.getClass().getName() + " that does not implement "
          + String.join(", ", missing) + ": this is a bug of the plugin");
    }
  }

  private static void select(MethodDescriptor method, Set<String> names, ModelView model) {
    Map<String, ParameterView> byName = model.parameters().stream()
        .collect(Collectors.toMap(ParameterView::name, p -> p));
    for (String name : names) {
      ParameterView parameter = byName.get(name);
      if (parameter == null) {
        throw new PluginException("method " + method.id() + " selected parameter " + name
            + ", which the model does not have: this is a bug of the plugin");
      }
      parameter.setTrainable(true);
    }
  }

  /** PEFT's line: {@code trainable params: 4,194,304 || all params: 6,742,609,920 || trainable%: 0.0622}. */
  public static String trainableLine(ModelView model) {
    long trainable = 0;
    long all = 0;
    for (ParameterView p : model.parameters()) {
      long n = values(p);
      all += n;
      trainable += p.trainable() ? n : 0;
    }
    return trainableLine(trainable, all);
  }

  /** PEFT's line for these counts. */
  public static String trainableLine(long trainable, long all) {
    return String.format(java.util.Locale.ROOT, "trainable params: %,d || all params: %,d || trainable%%: %.4f",
        trainable, all, 100.0 * trainable / all);
  }

  /** The values a parameter stands for: a 4-bit weight is stored as packed bytes, two values each (PEFT counts so). */
  public static long values(ParameterView p) {
    return p.data().getShape().size() * (isPacked(p) ? 2 : 1);
  }

  /** Whether a parameter holds packed 4-bit codes. */
  public static boolean isPacked(ParameterView p) {
    return p.data().getDataType() == ai.djl.ndarray.types.DataType.UINT8;
  }
}
