package dev.peft4j.api.model;

import static org.apiguardian.api.API.Status.EXPERIMENTAL;

import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import org.apiguardian.api.API;

/**
 * A model's structure as its {@code config.json} tells it, without loading weights: what rules and
 * settings checks need.
 *
 * @param modelType {@code model_type} from config.json ({@code llama}, {@code qwen2}, …)
 * @param layerCount {@code num_hidden_layers}, when known
 * @param layerModules the modules inside every decoder layer, by their name inside the layer, up to
 *     the first dot ({@code self_attn}, {@code mlp}, {@code input_layernorm}, {@code post_attention_layernorm})
 * @param linearModules the linear layers inside every decoder layer, by their dotted name inside the
 *     layer ({@code self_attn.q_proj}, …, {@code mlp.down_proj})
 * @param otherModules the modules outside the decoder layers ({@code embed_tokens}, {@code norm},
 *     {@code lm_head})
 * @param layerPrefix what the full name of every decoder layer starts with, before its index: a module
 *     of layer {@code i} is named {@code layerPrefix + i + "." + module} ({@link #layerModule}); {@code
 *     model.layers.} in the families of Hugging Face's decoders
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record ModelInfo(
    String modelType,
    OptionalInt layerCount,
    List<String> layerModules,
    List<String> linearModules,
    List<String> otherModules,
    @API(status = EXPERIMENTAL, since = "1.3") String layerPrefix) {

  /** The usual layer prefix of Hugging Face's decoders. */
  @API(status = EXPERIMENTAL, since = "1.3")
  public static final String DECODER_LAYERS = "model.layers.";

  public ModelInfo {
    Objects.requireNonNull(modelType, "modelType is null");
    Objects.requireNonNull(layerCount, "layerCount is null");
    Objects.requireNonNull(layerPrefix, "layerPrefix is null");
    layerModules = List.copyOf(layerModules);
    linearModules = List.copyOf(linearModules);
    otherModules = List.copyOf(otherModules);
  }

  /** A model whose decoder layers are {@link #DECODER_LAYERS}{@code N.}, as before API 1.3. */
  public ModelInfo(String modelType, OptionalInt layerCount, List<String> layerModules, List<String> linearModules,
      List<String> otherModules) {
    this(modelType, layerCount, layerModules, linearModules, otherModules, DECODER_LAYERS);
  }

  /** The full dotted name of {@code module} (a name inside a layer) in decoder layer {@code layer}. */
  @API(status = EXPERIMENTAL, since = "1.3")
  public String layerModule(int layer, String module) {
    return layerPrefix + layer + "." + module;
  }

  /**
   * The names a module setting can match: the full dotted name of every linear layer of every decoder layer, layer by
   * layer (none when {@link #layerCount()} is unknown), then the {@link #otherModules()}.
   */
  @API(status = EXPERIMENTAL, since = "1.3")
  public List<String> moduleNames() {
    List<String> names = new java.util.ArrayList<>();
    for (int i = 0; i < layerCount.orElse(0); i++) {
      for (String linear : linearModules) {
        names.add(layerModule(i, linear));
      }
    }
    names.addAll(otherModules);
    return List.copyOf(names);
  }
}
