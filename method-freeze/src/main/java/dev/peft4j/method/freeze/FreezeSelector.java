package dev.peft4j.method.freeze;

import dev.peft4j.api.ParameterSelector;
import dev.peft4j.api.model.ModelView;
import dev.peft4j.api.model.ParameterView;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;

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
    return choose(settings, layers, model.parameters(), ParameterView::name, ParameterView::layerIndex);
  }

  /** The decoder layers that train, {@code from} inclusive to {@code to} exclusive (LLaMA-Factory's rule). */
  record Layers(int from, int to) {
    static Layers of(FreezeSettings settings, int layers) {
      int n = settings.trainableLayers();
      return new Layers(n > 0 ? Math.max(0, layers - n) : 0, n > 0 ? layers : Math.min(-n, layers));
    }
  }

  /**
   * The names of the parameters that train, in the model's order; the one rule behind {@link
   * #trainable} and {@link FreezeMethodFactory#plan}.
   */
  static <P> Set<String> choose(FreezeSettings settings, int layers, List<P> parameters, Function<P, String> name,
      Function<P, OptionalInt> layerIndex) {
    Layers range = Layers.of(settings, layers);
    int from = range.from();
    int to = range.to();
    List<String> patterns = new ArrayList<>();
    for (String module : settings.trainableModules()) {
      for (int layer = from; layer < to; layer++) {
        patterns.add("." + layer + "." + (module.equals(FreezeSettings.ALL) ? "" : module));
      }
    }
    Set<String> trainable = new LinkedHashSet<>();
    for (P parameter : parameters) {
      String parameterName = name.apply(parameter);
      boolean inChosenLayer = patterns.stream().anyMatch(parameterName::contains);
      boolean extra = layerIndex.apply(parameter).isEmpty()
          && settings.extraModules().stream().anyMatch(List.of(parameterName.split("\\."))::contains);
      if (inChosenLayer || extra) {
        trainable.add(parameterName);
      }
    }
    return trainable;
  }
}
