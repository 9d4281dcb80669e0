package dev.peft4j.runtime.model;

import ai.djl.ndarray.NDArray;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.api.model.LinearView;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.model.ModelView;
import dev.peft4j.api.model.ParameterView;
import dev.peft4j.runtime.nn.Module;
import dev.peft4j.runtime.nn.Nf4Linear;
import dev.peft4j.runtime.nn.Parameter;
import dev.peft4j.runtime.nn.WrappedLinear;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.OptionalInt;

/** A model as methods see it (the API's {@link ModelView}), over the runtime's module tree, whatever its family. */
public final class ModuleModelView implements ModelView {

  private final CausalLm lm;
  private final Module model;
  /** Parameters added to a module that is not yet replaced: they move into its replacement. */
  private final Map<String, Map<String, Parameter>> added = new LinkedHashMap<>();

  public ModuleModelView(CausalLm model) {
    this.lm = model;
    this.model = model.modules();
  }

  @Override
  public ModelInfo info() {
    return lm.info();
  }

  @Override
  public List<ParameterView> parameters() {
    List<ParameterView> views = new ArrayList<>();
    model.namedParameters().forEach((name, p) -> views.add(new View(name, p, lm.layerOf(name))));
    return views;
  }

  @Override
  public List<LinearView> linearLayers() {
    List<LinearView> views = new ArrayList<>();
    model.namedModules().forEach((name, module) -> {
      if (module instanceof LinearLayer linear && module.ownParameters().containsKey("weight")) {
        views.add(new LinearModuleView(name, module, linear, lm.layerOf(name + ".weight")));
      }
    });
    return views;
  }

  @Override
  public Map<String, ParameterView> addParameters(String module, Map<String, NDArray> parameters) {
    if (!model.namedModules().containsKey(module)) {
      throw new NoSuchElementException("no module named " + module);
    }
    Map<String, Parameter> pending = added.computeIfAbsent(module, m -> new LinkedHashMap<>());
    Map<String, ParameterView> views = new LinkedHashMap<>();
    parameters.forEach((key, data) -> {
      Parameter parameter = new Parameter(data);
      parameter.setTrainable(true);
      pending.put(key, parameter);
      views.put(key, new View(module + "." + key, parameter, lm.layerOf(module + "." + key)));
    });
    return views;
  }

  @Override
  public void replaceLinear(String name, LinearLayer replacement) {
    int dot = name.lastIndexOf('.');
    Module parent = dot < 0 ? model : model.namedModules().get(name.substring(0, dot));
    String childName = name.substring(dot + 1);
    if (parent == null || !parent.children().containsKey(childName)) {
      throw new NoSuchElementException("no module named " + name);
    }
    Map<String, Parameter> extra = added.getOrDefault(name, Map.of());
    parent.replaceChild(childName, new WrappedLinear(replacement, parent.child(childName), extra, lm.precision()));
    added.remove(name);
  }

  /**
   * Stores every linear layer of the decoder layers as NF4 (the embeddings and the output head stay in
   * fp32, as QLoRA and bitsandbytes leave them), its block scales in fp32.
   */
  public void quantizeNf4(ai.djl.ndarray.NDManager manager) {
    quantizeNf4(manager, false);
  }

  /**
   * As {@link #quantizeNf4(ai.djl.ndarray.NDManager)}, the block scales double-quantized (8 bits each) if {@code
   * doubleQuantization}.
   */
  public void quantizeNf4(ai.djl.ndarray.NDManager manager, boolean doubleQuantization) {
    for (Module module : model.namedModules().values()) {
      if (module instanceof DecoderLayer layer) {
        Nf4Linear.quantizeLinears(layer, manager, doubleQuantization);
      }
    }
  }


  private record View(String name, Parameter parameter, OptionalInt layerIndex) implements ParameterView {
    @Override
    public NDArray data() {
      return parameter.data();
    }

    @Override
    public boolean trainable() {
      return parameter.trainable();
    }

    @Override
    public void setTrainable(boolean trainable) {
      parameter.setTrainable(trainable);
    }
  }

  private record LinearModuleView(String name, Module module, LinearLayer linear, OptionalInt layerIndex)
      implements LinearView {
    @Override
    public int inFeatures() {
      return linear.inFeatures();
    }

    @Override
    public int outFeatures() {
      return linear.outFeatures();
    }

    @Override
    public NDArray forward(NDArray input) {
      return linear.forward(input);
    }

    @Override
    public ParameterView weight() {
      if (module instanceof Nf4Linear nf4) {
        return new View(name + ".weight", new Parameter(nf4.dequantize()), layerIndex);
      }
      return new View(name + ".weight", module.ownParameters().get("weight"), layerIndex);
    }

    @Override
    public boolean quantized() {
      return module instanceof Nf4Linear;
    }

    @Override
    public Optional<ParameterView> bias() {
      Parameter bias = module.ownParameters().get("bias");
      return bias == null ? Optional.empty() : Optional.of(new View(name + ".bias", bias, layerIndex));
    }
  }

}
