package dev.peft4j.method.freeze;

import dev.peft4j.api.ParameterSelector;
import dev.peft4j.api.model.ModelView;
import dev.peft4j.api.model.ParameterView;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * LLaMA-Factory's freeze tuning: a parameter trains when its name contains {@code .<layer>.<module>}
 * for a chosen layer and module ({@code .<layer>.} for {@code all}), or when it belongs to an extra
 * module outside the decoder layers. LLaMA-Factory matches extra modules as substrings, so that
 * {@code norm} also unfreezes every layer's {@code input_layernorm}; peft4j matches a whole name
 * component outside the layers ({@code model.norm.weight}), which is what the setting says.
 */
final class FreezeSelector implements ParameterSelector {

  private final FreezeSettings settings;

  FreezeSelector(FreezeSettings settings) {
    this.settings = settings;
  }

  @Override
  public Set<String> trainable(ModelView model) {
    int layers = model.info().layerCount().orElseThrow(() ->
        new IllegalStateException("freeze needs the model's layer count"));
    int n = settings.trainableLayers();
    int from = n > 0 ? Math.max(0, layers - n) : 0;
    int to = n > 0 ? layers : Math.min(-n, layers);
    List<String> patterns = new ArrayList<>();
    for (String module : settings.trainableModules()) {
      for (int layer = from; layer < to; layer++) {
        patterns.add("." + layer + "." + (module.equals(FreezeSettings.ALL) ? "" : module));
      }
    }
    Set<String> trainable = new LinkedHashSet<>();
    for (ParameterView parameter : model.parameters()) {
      String name = parameter.name();
      boolean inChosenLayer = patterns.stream().anyMatch(name::contains);
      boolean extra = parameter.layerIndex().isEmpty()
          && settings.extraModules().stream().anyMatch(List.of(name.split("\\."))::contains);
      if (inChosenLayer || extra) {
        trainable.add(name);
      }
    }
    return trainable;
  }
}
