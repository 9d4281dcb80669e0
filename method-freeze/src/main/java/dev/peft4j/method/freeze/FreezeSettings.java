package dev.peft4j.method.freeze;

import dev.peft4j.api.config.SettingsReader;
import java.util.List;

/** The settings of {@code peft4j.freeze}, read eagerly; see {@code reference.conf} for each one. */
public record FreezeSettings(int trainableLayers, List<String> trainableModules, List<String> extraModules) {

  /** The {@code trainable-modules} entry that selects every module of a layer. */
  public static final String ALL = "all";

  public static FreezeSettings read(SettingsReader r) {
    int layers = r.integer("trainable-layers");
    if (layers == 0 && !r.hasProblem("trainable-layers")) {
      r.problem("trainable-layers", "0 trains no layer: use n > 0 for the last n layers, n < 0 for the first |n|");
    }
    List<String> modules = r.strings("trainable-modules");
    if (modules.isEmpty() && !r.hasProblem("trainable-modules")) {
      r.problem("trainable-modules", "is empty: use [all] or name modules such as [mlp, self_attn]");
    }
    return new FreezeSettings(layers, modules, r.strings("extra-modules"));
  }
}
