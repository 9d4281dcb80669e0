package dev.peft4j.runtime.plan;

import dev.peft4j.api.MethodFactory;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.PluginException;
import dev.peft4j.api.plan.MethodPlan;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.api.plan.OptimizerCost;
import dev.peft4j.api.plan.ParameterShape;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.model.ModelConfig;
import dev.peft4j.runtime.model.ModelFamilies;
import dev.peft4j.runtime.model.ModelFamily;
import dev.peft4j.runtime.nn.Bf16Support;
import dev.peft4j.runtime.plugin.DiscoveredMethod;
import dev.peft4j.runtime.plugin.Discovery;
import dev.peft4j.runtime.validate.ValidationReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Plans a validated run without loading weights: builds the model's shapes from its config.json, asks
 * each method for its plan — adapters and selectors in the order of {@code methods}, as the runtime
 * applies them, then the other methods — each seeing the model as the ones before left it, and prices
 * the result with {@link MemoryModel}.
 */
public final class Planner {

  private Planner() {}

  /**
   * @param report a report without setting problems (its model was read); rule violations are allowed
   *     and kept in the plan
   * @throws dev.peft4j.runtime.model.ModelConfigException when config.json lacks a size the plan needs
   * @throws PluginException when a method's plan contradicts the model (a bug of the method)
   */
  public static RunPlan plan(ValidationReport report, Discovery discovery) {
    if (!report.problems().isEmpty() || report.model().isEmpty() || report.core().model().path().isEmpty()) {
      throw new IllegalArgumentException("only a run without setting problems can be planned");
    }
    Path folder = report.core().model().path().get();
    ModelConfig config = ModelFamilies.BUILT_IN.read(folder);
    ModelFamily family = ModelFamilies.BUILT_IN.of(config);
    CoreSettings core = report.core();
    boolean quantized = core.model().quantization() == CoreSettings.Quantization.NF4;
    Bf16Support.Choice precision = Bf16Support.detect().choose(core.training().precision());
    Workload work = new Workload(core.training().batchSize(), core.data().cutoffLen(),
        core.training().gradientAccumulationSteps(), precision.precision(), core.training().gradientCheckpointing());

    ModelShape model = family.shape(config, quantized, precision.precision().storedBytes());
    List<String> order = new ArrayList<>();
    List<String> later = new ArrayList<>();
    for (String id : report.settings().keySet()) {
      var descriptor = discovery.methods().get(id).descriptor();
      (descriptor.is(MethodKind.ADAPTER) || descriptor.is(MethodKind.SELECTOR) ? order : later).add(id);
    }
    order.addAll(later);

    Map<String, RunPlan.MethodPlanned> planned = new LinkedHashMap<>();
    Map<String, OptimizerCost> costs = new LinkedHashMap<>();
    long perToken = 0;
    long perPass = 0;
    for (String id : order) {
      DiscoveredMethod method = discovery.methods().get(id);
      Optional<MethodPlan> plan = plan(method.factory(), report.settings().get(id), model);
      if (plan.isEmpty()) {
        planned.put(id, new RunPlan.MethodPlanned(id, false, List.of("cannot be priced: the method does not implement "
            + "MethodFactory.plan (" + method.source() + ")")));
        continue;
      }
      model = apply(method, plan.get(), model);
      costs.putAll(plan.get().optimizer());
      perToken += plan.get().activationValuesPerToken();
      perPass += plan.get().activationValuesPerPass();
      planned.put(id, new RunPlan.MethodPlanned(id, true, plan.get().notes()));
    }
    List<RunPlan.MethodPlanned> methods = report.settings().keySet().stream().map(planned::get).toList();
    boolean priced = methods.stream().allMatch(RunPlan.MethodPlanned::priced);
    Optional<RunPlan.Counts> counts = priced
        ? Optional.of(new RunPlan.Counts(model.trainableSize(), model.size())) : Optional.empty();
    Optional<MemoryEstimate> memory = priced
        ? Optional.of(MemoryModel.estimate(config, model, costs, perToken, perPass, work,
            quantized && core.model().doubleQuantization()))
        : Optional.empty();
    return new RunPlan(report, folder.resolve("config.json"), config, work, methods, model, counts, memory);
  }

  @SuppressWarnings("unchecked")
  private static <S> Optional<MethodPlan> plan(MethodFactory<S> factory, Object settings, ModelShape model) {
    return factory.plan((S) settings, model);
  }

  /** The model after a method's plan; a plan that names what the model does not have is the method's bug. */
  static ModelShape apply(DiscoveredMethod method, MethodPlan plan, ModelShape model) {
    Map<String, ParameterShape> parameters = model.byName();
    for (ParameterShape added : plan.added()) {
      if (parameters.putIfAbsent(added.name(), added) != null) {
        throw bug(method, "adds parameter " + added.name() + ", which the model already has");
      }
    }
    for (String name : plan.trainable()) {
      ParameterShape parameter = parameters.get(name);
      if (parameter == null) {
        throw bug(method, "makes parameter " + name + " trainable, which the model does not have");
      }
      parameters.put(name, parameter.withTrainable(true));
    }
    for (String name : plan.optimizer().keySet()) {
      if (!parameters.containsKey(name) || !parameters.get(name).trainable()) {
        throw bug(method, "states an optimizer cost for " + name + ", which is not a trainable parameter of the model");
      }
    }
    return new ModelShape(model.info(), List.copyOf(parameters.values()), model.linearLayers(), model.computeBytes());
  }

  private static PluginException bug(DiscoveredMethod method, String what) {
    return new PluginException("the plan of method " + method.id() + " (" + method.source() + ") " + what
        + ": this is a bug of the plugin");
  }
}
