package dev.peft4j.method.galore;

import dev.peft4j.api.config.SettingsReader;
import java.util.List;

/** The settings of {@code peft4j.galore}, read eagerly; see {@code reference.conf} for each one. */
public record GaloreSettings(
    List<String> target, int rank, int updateInterval, double scale, ProjectionType projType, boolean layerwise,
    SvdKind svd) {

  /** The {@code target} that selects every linear layer but the output head. */
  public static final String ALL = "all";

  /** Which side(s) of the gradient GaLore projects, as galore-torch's {@code proj_type}. */
  public enum ProjectionType { STD, REVERSE_STD, RIGHT, LEFT, FULL }

  /** How projectors are computed: a randomized range finder, or the full SVD as galore-torch does. */
  public enum SvdKind { RANDOMIZED, EXACT }

  public static GaloreSettings read(SettingsReader r) {
    List<String> target = r.strings("target");
    if (target.isEmpty() && !r.hasProblem("target")) {
      r.problem("target", "is empty: use [all] or name modules such as [mlp, self_attn]");
    }
    double scale = r.positiveNumber("scale");
    return new GaloreSettings(
        target, r.integerAtLeast("rank", 1), r.integerAtLeast("update-interval", 1), scale,
        r.choice("proj-type", ProjectionType.class), r.bool("layerwise"), r.choice("svd", SvdKind.class));
  }
}
