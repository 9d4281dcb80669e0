package dev.peft4j.plugins.ia3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.api.AdapterMethod;
import dev.peft4j.api.AdapterState;
import dev.peft4j.api.MethodContext;
import dev.peft4j.api.Peft4jException;
import dev.peft4j.api.UnsupportedFeatureException;
import dev.peft4j.api.model.LinearView;
import dev.peft4j.api.model.ModelView;
import dev.peft4j.api.model.ParameterView;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * IA³ on a model: wraps every targeted linear layer in an {@link Ia3Layer} with a vector of ones, saves and
 * loads the vectors under the names Hugging Face PEFT gives them ({@code base_model.model.<module>.ia3_l}, the
 * adapter name left out), and merges them into the base weights (rows for a scaled output, columns for a scaled
 * input).
 */
final class Ia3Adapter implements AdapterMethod {

  static final String PREFIX = "base_model.model.";
  static final String VECTOR = "ia3_l";
  static final String PEFT_TYPE = "IA3";

  /** Every element: {@code x.set(ALL, y)} copies y's values into x. */
  private static final NDIndex ALL = new NDIndex("...");

  private final Ia3Settings settings;
  private final MethodContext context;
  private final Map<String, Ia3Layer> layers = new LinkedHashMap<>();
  /** The base weight (and bias) of each merged layer as it was before the merge, for an exact unmerge. */
  private final Map<String, NDArray[]> unmerged = new LinkedHashMap<>();

  Ia3Adapter(Ia3Settings settings, MethodContext context) {
    this.settings = settings;
    this.context = context;
  }

  @Override
  public void apply(ModelView model) {
    for (LinearView linear : model.linearLayers()) {
      String name = linear.name();
      if (!settings.adapts(name)) {
        continue;
      }
      boolean feedforward = settings.scalesInput(name);
      Shape shape = feedforward ? new Shape(1, linear.inFeatures()) : new Shape(linear.outFeatures(), 1);
      float[] ones = new float[Math.toIntExact(shape.size())];
      Arrays.fill(ones, 1f);
      ParameterView vector = model.addParameters(name, Map.of(VECTOR, context.array(ones, shape))).get(VECTOR);
      Ia3Layer layer = new Ia3Layer(linear, vector, feedforward);
      model.replaceLinear(name, layer);
      layers.put(name, layer);
    }
    if (layers.isEmpty()) {
      throw nothingToAdapt();
    }
  }

  static Peft4jException nothingToAdapt() {
    return new Peft4jException("ia3.target matches no linear layer of the model: nothing to adapt");
  }

  @Override
  public AdapterState state() {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    layers.forEach((name, layer) -> tensors.put(PREFIX + name + "." + VECTOR, layer.vector().data()));
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("peft_type", PEFT_TYPE);
    config.put("task_type", "CAUSAL_LM");
    config.put("target_modules", settings.target().peftValue());
    config.put("feedforward_modules", settings.feedforward().peftValue());
    config.put("exclude_modules", settings.excludeModules().isEmpty() ? null : settings.excludeModules());
    config.put("fan_in_fan_out", false);
    config.put("init_ia3_weights", true);
    config.put("inference_mode", true);
    config.put("modules_to_save", null);
    return new AdapterState(tensors, config);
  }

  @Override
  public void load(AdapterState state) {
    Object type = state.config().get("peft_type");
    if (type != null && !PEFT_TYPE.equals(type)) {
      throw new Peft4jException("the adapter is of peft_type " + type + ", not " + PEFT_TYPE
          + ": load it with the method that made it");
    }
    for (Map.Entry<String, Ia3Layer> entry : layers.entrySet()) {
      String key = PREFIX + entry.getKey() + "." + VECTOR;
      ParameterView into = entry.getValue().vector();
      NDArray saved = state.tensors().get(key);
      if (saved == null) {
        throw new Peft4jException("the adapter has no tensor " + key + ": it was made for other target modules; "
            + "set ia3.target as its adapter_config.json says (target_modules)");
      }
      if (!saved.getShape().equals(into.data().getShape())) {
        throw new Peft4jException("the adapter's " + key + " has shape " + saved.getShape() + " but these settings "
            + "need " + into.data().getShape() + ": set ia3.feedforward-modules as its adapter_config.json says");
      }
      boolean trainable = into.trainable();
      into.setTrainable(false);
      into.data().set(ALL, saved);
      into.setTrainable(trainable);
    }
  }

  /** Scales the base weights by the vectors: {@code W · l} with {@code l} [out, 1] (rows) or [1, in] (columns). */
  @Override
  public void merge(boolean safe) {
    List<String> pending = layers.keySet().stream().filter(name -> !layers.get(name).merged()).toList();
    for (String name : pending) {
      if (layers.get(name).base().quantized()) {
        throw new UnsupportedFeatureException("the base of " + name + " is 4-bit: merge IA³ into the full-precision "
            + "model instead");
      }
    }
    try (NDScope scope = new NDScope()) {
      Map<String, NDArray[]> merged = new LinkedHashMap<>();
      for (String name : pending) {
        Ia3Layer layer = layers.get(name);
        NDArray l = layer.vector().data().stopGradient();
        NDArray weight = layer.base().weight().data().mul(l);
        NDArray bias = layer.feedforward() ? null
            : layer.base().bias().map(b -> b.data().mul(l.flatten())).orElse(null);
        if (safe && (!finite(weight) || (bias != null && !finite(bias)))) {
          throw new Peft4jException("merging the IA³ vector into " + name + " gives non-finite weights; nothing was "
              + "merged");
        }
        merged.put(name, new NDArray[] {weight, bias});
      }
      merged.forEach((name, values) -> {
        Ia3Layer layer = layers.get(name);
        NDArray weight = layer.base().weight().data();
        NDArray[] original = {weight.duplicate(), null};
        weight.set(ALL, values[0]);
        if (values[1] != null) {
          NDArray bias = layer.base().bias().get().data();
          original[1] = bias.duplicate();
          bias.set(ALL, values[1]);
        }
        NDScope.unregister(original[0]);
        if (original[1] != null) {
          NDScope.unregister(original[1]);
        }
        unmerged.put(name, original);
        layer.setMerged(true);
      });
    }
  }

  /** Puts back the weights as they were before {@link #merge} (exactly: they were kept, not divided back). */
  @Override
  public void unmerge() {
    unmerged.forEach((name, original) -> {
      Ia3Layer layer = layers.get(name);
      layer.base().weight().data().set(ALL, original[0]);
      original[0].close();
      if (original[1] != null) {
        layer.base().bias().get().data().set(ALL, original[1]);
        original[1].close();
      }
      layer.setMerged(false);
    });
    unmerged.clear();
  }

  private static boolean finite(NDArray values) {
    for (float v : values.toFloatArray()) {
      if (!Float.isFinite(v)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    unmerged.values().forEach(original -> Arrays.stream(original).filter(a -> a != null).forEach(NDArray::close));
    unmerged.clear();
  }

  Map<String, Ia3Layer> layers() {
    return layers;
  }
}
