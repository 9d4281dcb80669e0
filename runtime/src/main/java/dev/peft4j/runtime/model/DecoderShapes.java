package dev.peft4j.runtime.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.plan.LinearShape;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.api.plan.ParameterShape;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * What a {@link DecoderModel} family tells the planner and the methods about its structure: its {@link ModelInfo}, and
 * its {@link ModelShape} built parameter by parameter in the model's order (a builder).
 */
public final class DecoderShapes {

  private final boolean quantized;
  private final List<ParameterShape> parameters = new ArrayList<>();
  private final List<LinearShape> linears = new ArrayList<>();

  /** @param quantized whether the decoder layers' linear weights are stored in 4 bits */
  public DecoderShapes(boolean quantized) {
    this.quantized = quantized;
  }

  /** A parameter no linear layer holds (an embedding, a norm). */
  public DecoderShapes frozen(String name, OptionalInt layer, long... shape) {
    parameters.add(ParameterShape.frozen(name, layer, shape));
    return this;
  }

  /** The linear layer {@code name}: its weight {@code [out, in]}, its bias when it has one; 4-bit inside a layer. */
  public DecoderShapes linear(String name, long out, long in, boolean bias, OptionalInt layer) {
    parameters.add(ParameterShape.frozen(name + ".weight", layer, out, in));
    if (bias) {
      parameters.add(ParameterShape.frozen(name + ".bias", layer, out));
    }
    linears.add(new LinearShape(name, in, out, bias, layer, quantized && layer.isPresent()));
    return this;
  }

  public ModelShape build(ModelInfo info, int computeBytes) {
    return new ModelShape(info, parameters, linears, computeBytes);
  }

  /** The structure of a decoder: its layers' modules, and outside them the embeddings, the norm and an untied head. */
  public static ModelInfo info(String modelType, OptionalInt layers, List<String> layerModules,
      List<String> linearModules, boolean tiedEmbeddings) {
    List<String> other = new ArrayList<>(List.of("embed_tokens", "norm"));
    if (!tiedEmbeddings) {
      other.add("lm_head");
    }
    return new ModelInfo(modelType, layers, layerModules, linearModules, other);
  }

  /**
   * {@link #info} from a config.json the strict reading may refuse: the layer count if it states a valid one, the
   * embeddings tied as it says (or as {@code tiedWhenAbsent}). Never throws for a missing or malformed field.
   */
  public static ModelInfo info(JsonObject json, String modelType, List<String> layerModules,
      List<String> linearModules, boolean tiedWhenAbsent) {
    OptionalInt layers = OptionalInt.empty();
    JsonElement n = json.get("num_hidden_layers");
    if (n != null && n.isJsonPrimitive() && n.getAsJsonPrimitive().isNumber() && n.getAsDouble() >= 1
        && n.getAsDouble() == Math.rint(n.getAsDouble()) && n.getAsDouble() <= Integer.MAX_VALUE) {
      layers = OptionalInt.of(n.getAsInt());
    }
    JsonElement tied = json.get("tie_word_embeddings");
    boolean stated = tied != null && tied.isJsonPrimitive() && tied.getAsJsonPrimitive().isBoolean();
    return info(modelType, layers, layerModules, linearModules, stated ? tied.getAsBoolean() : tiedWhenAbsent);
  }
}
