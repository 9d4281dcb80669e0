package dev.peft4j.method.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.api.AdapterMethod;
import dev.peft4j.api.AdapterState;
import dev.peft4j.api.MethodContext;
import dev.peft4j.api.OptimizerHook;
import dev.peft4j.api.Peft4jException;
import dev.peft4j.api.UnsupportedFeatureException;
import dev.peft4j.api.model.LinearView;
import dev.peft4j.api.model.ModelView;
import dev.peft4j.api.model.ParameterView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * LoRA on a model: wraps every targeted linear layer in a {@link LoraLayer}, saves and loads the
 * adapter under PEFT's names, merges it into the base weights, and (LoRA+) raises the learning rate of
 * B. The adapter name is not part of a key, as in PEFT's saved files.
 */
final class LoraAdapter implements AdapterMethod, OptimizerHook {

  static final String PREFIX = "base_model.model.";

  /** Every element: {@code x.set(ALL, y)} copies y's values into x (from libtorch memory, unlike set(float[])). */
  private static final NDIndex ALL = new NDIndex("...");

  private final LoraSettings settings;
  private final MethodContext context;
  private final LoraTargets targets;
  private final Map<String, LoraLayer> layers = new LinkedHashMap<>();
  private final Map<String, NDArray> mergedDeltas = new LinkedHashMap<>();
  /**
   * Base parameters that train in place and are saved with the adapter, as PEFT saves them: biases ({@code bias = all}
   * or {@code lora_only}) and the parameters of {@code modules-to-save}.
   */
  private final Map<String, ParameterView> trainedBase = new LinkedHashMap<>();
  /** With {@code pissa-convert}: each layer's A and B as PiSSA initialised them, for {@link #conversions}. */
  private final Map<String, NDArray[]> initial = new LinkedHashMap<>();
  private boolean training;

  LoraAdapter(LoraSettings settings, MethodContext context) {
    this.settings = settings;
    this.context = context;
    this.targets = new LoraTargets(settings);
  }

  @Override
  public void apply(ModelView model) {
    NDArray one = context.scalar(1f);
    List<String> adapted = new ArrayList<>();
    for (LinearView linear : model.linearLayers()) {
      String name = linear.name();
      if (!targets.targets(name, linear.layerIndex(), name.equals("lm_head"))) {
        continue;
      }
      int rank = targets.rank(name);
      Map<String, NDArray> added = new LinkedHashMap<>();
      if (settings.useDora()) {
        // Magnitude = ‖W‖ per output feature, from the weight before PiSSA makes it a residual
        // (PEFT: ‖W_res + scaling·B·A‖ = ‖W‖).
        try (NDScope scope = new NDScope()) {
          float[] norms = context.castLike(linear.weight().data(), one).square().sum(new int[] {1}).sqrt().toFloatArray();
          added.put("lora_magnitude_vector", keep(context.array(norms, new Shape(linear.outFeatures()))));
        }
      }
      if (settings.init().kind() == LoraSettings.Init.Kind.PISSA) {
        try (NDScope scope = new NDScope()) {
          Pissa.Init pissa = Pissa.of(linear.weight().data(), rank, targets.scaling(name),
              settings.init().pissaIterations(), context, context.seed() * 31 + name.hashCode());
          linear.weight().data().set(ALL, pissa.residual());
          added.put("lora_A.weight", keep(pissa.a()));
          added.put("lora_B.weight", keep(pissa.b()));
          if (settings.pissaConvert()) {
            initial.put(name, new NDArray[] {keep(pissa.a().duplicate()), keep(pissa.b().duplicate())});
          }
        }
      } else {
        added.put("lora_A.weight", initialA(name, rank, linear.inFeatures()));
        added.put("lora_B.weight", context.array(new float[linear.outFeatures() * rank], new Shape(linear.outFeatures(), rank)));
      }
      NDArray scaling = context.scalar((float) targets.scaling(name));
      Map<String, ParameterView> views = model.addParameters(name, added);
      LoraLayer layer = new LoraLayer(linear, views.get("lora_A.weight"), views.get("lora_B.weight"),
          views.get("lora_magnitude_vector"), scaling, one, (float) settings.dropout(), () -> training, context);
      model.replaceLinear(name, layer);
      layers.put(name, layer);
      adapted.add(name);
    }
    if (adapted.isEmpty()) {
      throw new Peft4jException(LoraTargets.NOTHING_ADAPTED);
    }
    trainBase(model);
  }

  /**
   * PEFT's {@code bias} (none, every bias, or the biases of adapted layers) and {@code modules_to_save}. PEFT trains a
   * copy of each module to save and keeps the original beside it; the copy starts equal and the original is not used
   * again, so training the module in place gives the same model without holding it twice.
   */
  private void trainBase(ModelView model) {
    List<String> quantized = model.linearLayers().stream().filter(LinearView::quantized).map(LinearView::name).toList();
    for (ParameterView parameter : model.parameters()) {
      if (LoraTargets.trainsInPlace(settings, parameter.name(), layers::containsKey, quantized)) {
        parameter.setTrainable(true);
        trainedBase.put(parameter.name(), parameter);
      }
    }
  }

  /** Keeps an array made inside a setup scope (the scope closes every other temporary). */
  private static NDArray keep(NDArray array) {
    NDScope.unregister(array);
    return array;
  }

  /** A as PEFT initialises it: Kaiming-uniform with a = √5 (bound 1/√in), or N(0, 1/r) with {@code gaussian}. */
  private NDArray initialA(String module, int rank, int in) {
    Random random = new Random(context.seed() * 31 + module.hashCode());
    float[] values = new float[rank * in];
    double bound = 1.0 / Math.sqrt(in);
    for (int i = 0; i < values.length; i++) {
      values[i] = settings.init().kind() == LoraSettings.Init.Kind.GAUSSIAN
          ? (float) (random.nextGaussian() / rank)
          : (float) ((random.nextDouble() * 2 - 1) * bound);
    }
    return context.array(values, new Shape(rank, in));
  }

  @Override
  public void setTraining(boolean training) {
    this.training = training;
  }

  @Override
  public AdapterState state() {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    trainedBase.forEach((name, p) -> tensors.put(PREFIX + name, p.data()));
    layers.forEach((name, layer) -> {
      tensors.put(PREFIX + name + ".lora_A.weight", layer.a().data());
      tensors.put(PREFIX + name + ".lora_B.weight", layer.b().data());
      if (layer.magnitude() != null) {
        tensors.put(PREFIX + name + ".lora_magnitude_vector", layer.magnitude().data());
      }
    });
    return new AdapterState(tensors, PeftConfig.of(settings, layers.keySet()));
  }

  /**
   * With {@code pissa-convert}, {@code pissa_converted}: the PiSSA adapter as a LoRA adapter on the unchanged base,
   * as PEFT's {@code subtract_mutated_init} makes it. W = W_res + s·B₀·A₀ and the trained model is W_res + s·B·A, so
   * its change of W is s·(B·A − B₀·A₀) = s·[B | −B₀]·[A ; A₀]: rank 2r at the same scaling. Trained biases are kept
   * (PiSSA leaves biases as they are; PEFT's conversion drops them), and so are the modules to save, without which the
   * converted adapter would not give the trained model.
   */
  @Override
  public Map<String, AdapterState> conversions() {
    if (!settings.pissaConvert()) {
      return Map.of();
    }
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    trainedBase.forEach((name, p) -> tensors.put(PREFIX + name, p.data()));
    layers.forEach((name, layer) -> {
      NDArray[] start = initial.get(name);
      tensors.put(PREFIX + name + ".lora_A.weight", layer.a().data().concat(start[0], 0));
      tensors.put(PREFIX + name + ".lora_B.weight", layer.b().data().concat(start[1].neg(), 1));
    });
    return Map.of("pissa_converted", new AdapterState(tensors, PeftConfig.converted(settings, layers.keySet())));
  }

  @Override
  public void load(AdapterState state) {
    trainedBase.forEach((name, p) -> copy(state, PREFIX + name, p));
    for (Map.Entry<String, LoraLayer> entry : layers.entrySet()) {
      String key = PREFIX + entry.getKey();
      copy(state, key + ".lora_A.weight", entry.getValue().a());
      copy(state, key + ".lora_B.weight", entry.getValue().b());
      if (entry.getValue().magnitude() != null) {
        copy(state, key + ".lora_magnitude_vector", entry.getValue().magnitude());
      }
    }
  }

  private static void copy(AdapterState state, String key, ParameterView into) {
    NDArray saved = state.tensors().get(key);
    if (saved == null) {
      throw new Peft4jException("the adapter has no tensor " + key + ": it was made for other target modules or "
          + "another rank; its adapter_config.json says which");
    }
    if (!saved.getShape().equals(into.data().getShape())) {
      throw new Peft4jException("the adapter's " + key + " has shape " + saved.getShape() + " but this model and "
          + "these settings need " + into.data().getShape() + ": set lora.rank (and target) as adapter_config.json says");
    }
    boolean trainable = into.trainable();
    into.setTrainable(false);
    into.data().set(ALL, saved);
    into.setTrainable(trainable);
  }

  @Override
  public void merge(boolean safe) {
    Map<String, NDArray> deltas = new LinkedHashMap<>();
    for (Map.Entry<String, LoraLayer> entry : layers.entrySet()) {
      if (entry.getValue().merged()) {
        continue;
      }
      if (entry.getValue().base().quantized()) {
        deltas.values().forEach(NDArray::close);
        throw new UnsupportedFeatureException("the base of " + entry.getKey() + " is 4-bit: merge the adapter into "
            + "the full-precision model instead (peft4j merge --model <the original folder>)");
      }
      NDArray delta = entry.getValue().delta();
      if (safe) {
        float[] values;
        try (NDScope scope = new NDScope()) {
          values = entry.getValue().base().weight().data().add(delta).toFloatArray();
        }
        for (float v : values) {
          if (!Float.isFinite(v)) {
            deltas.values().forEach(NDArray::close);
            throw new Peft4jException("merging the adapter into " + entry.getKey() + " gives non-finite weights; "
                + "nothing was merged");
          }
        }
      }
      deltas.put(entry.getKey(), delta);
    }
    deltas.forEach((name, delta) -> {
      LoraLayer layer = layers.get(name);
      layer.base().weight().data().addi(delta);
      layer.setMerged(true);
      mergedDeltas.put(name, delta);
    });
  }

  @Override
  public void unmerge() {
    mergedDeltas.forEach((name, delta) -> {
      LoraLayer layer = layers.get(name);
      layer.base().weight().data().subi(delta);
      layer.setMerged(false);
      delta.close();
    });
    mergedDeltas.clear();
  }

  /** LoRA+: B, and every other one-dimensional trainable, at the learning rate × loraplus-lr-ratio. */
  @Override
  public double learningRateScale(ParameterView parameter) {
    if (settings.loraplusLrRatio().isEmpty()) {
      return 1.0;
    }
    boolean fast = parameter.name().endsWith("lora_B.weight") || parameter.data().getShape().dimension() == 1;
    return fast ? settings.loraplusLrRatio().getAsDouble() : 1.0;
  }

  Map<String, LoraLayer> layers() {
    return layers;
  }
}
