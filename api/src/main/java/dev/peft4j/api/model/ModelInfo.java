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
 * @param layerModules the modules inside every decoder layer, by their name after {@code
 *     model.layers.N.} and before the next dot ({@code self_attn}, {@code mlp}, {@code
 *     input_layernorm}, {@code post_attention_layernorm})
 * @param linearModules the linear layers inside every decoder layer, by their dotted name after
 *     {@code model.layers.N.} ({@code self_attn.q_proj}, …, {@code mlp.down_proj})
 * @param otherModules the modules outside the decoder layers ({@code embed_tokens}, {@code norm},
 *     {@code lm_head})
 */
@API(status = EXPERIMENTAL, since = "0.1")
public record ModelInfo(
    String modelType,
    OptionalInt layerCount,
    List<String> layerModules,
    List<String> linearModules,
    List<String> otherModules) {

  public ModelInfo {
    Objects.requireNonNull(modelType, "modelType is null");
    Objects.requireNonNull(layerCount, "layerCount is null");
    layerModules = List.copyOf(layerModules);
    linearModules = List.copyOf(linearModules);
    otherModules = List.copyOf(otherModules);
  }
}
