package dev.peft4j.method.freeze;

import ai.djl.ndarray.NDArray;
import dev.peft4j.api.model.LinearLayer;
import dev.peft4j.api.model.LinearView;
import dev.peft4j.api.model.ModelInfo;
import dev.peft4j.api.model.ModelView;
import dev.peft4j.api.model.ParameterView;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The parameter names of a Llama model, without tensors: what selectors look at. */
final class FakeLlama implements ModelView {

  private static final List<String> LAYER = List.of("self_attn.q_proj.weight", "self_attn.k_proj.weight",
      "self_attn.v_proj.weight", "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
      "mlp.down_proj.weight", "input_layernorm.weight", "post_attention_layernorm.weight");

  private final int layers;

  private FakeLlama(int layers) {
    this.layers = layers;
  }

  static FakeLlama withLayers(int layers) {
    return new FakeLlama(layers);
  }

  @Override
  public ModelInfo info() {
    return new ModelInfo("llama", OptionalInt.of(layers),
        List.of("self_attn", "mlp", "input_layernorm", "post_attention_layernorm"), List.of(),
        List.of("embed_tokens", "norm", "lm_head"));
  }

  @Override
  public List<ParameterView> parameters() {
    List<ParameterView> parameters = new ArrayList<>();
    parameters.add(new Named("model.embed_tokens.weight"));
    for (int i = 0; i < layers; i++) {
      for (String name : LAYER) {
        parameters.add(new Named("model.layers." + i + "." + name));
      }
    }
    parameters.add(new Named("model.norm.weight"));
    parameters.add(new Named("lm_head.weight"));
    return parameters;
  }

  @Override
  public List<LinearView> linearLayers() {
    return List.of();
  }

  @Override
  public java.util.Map<String, ParameterView> addParameters(String module, java.util.Map<String, NDArray> parameters) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void replaceLinear(String name, LinearLayer replacement) {
    throw new UnsupportedOperationException();
  }

  private record Named(String name) implements ParameterView {
    private static final Pattern LAYER_INDEX = Pattern.compile("model\\.layers\\.(\\d+)\\..*");

    @Override
    public NDArray data() {
      return null;
    }

    @Override
    public boolean trainable() {
      return false;
    }

    @Override
    public void setTrainable(boolean trainable) {}

    @Override
    public OptionalInt layerIndex() {
      Matcher m = LAYER_INDEX.matcher(name);
      return m.matches() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
    }
  }
}
