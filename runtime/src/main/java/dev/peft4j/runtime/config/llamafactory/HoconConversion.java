package dev.peft4j.runtime.config.llamafactory;

import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import dev.peft4j.api.config.SettingProblem;
import java.nio.file.Path;
import java.util.List;

/**
 * A translation written as a peft4j run file ({@code peft4j convert}): one key a line, each with a comment saying
 * where it came from, then every key of the YAML that was dropped or changed, with why.
 */
public final class HoconConversion {

  private static final List<String> PATH_KEYS = List.of("peft4j.model.path", "peft4j.model.adapter-path",
      "peft4j.data.train", "peft4j.data.eval", "peft4j.output.dir");

  private HoconConversion() {}

  /**
   * The HOCON text of {@code translation} of {@code source}, for a file in {@code folder}: paths are written relative
   * to it, as peft4j reads them.
   */
  public static String render(LlamaFactoryRun.Translation translation, Path source, Path folder) {
    StringBuilder out = new StringBuilder();
    out.append("# peft4j run file converted from ").append(source.getFileName())
        .append(" (LLaMA-Factory) by peft4j convert.\n");
    out.append("# Each key says where it came from; LLaMA-Factory's defaults apply where the YAML is silent.\n");
    Path base = folder.toAbsolutePath().normalize();
    for (LlamaFactoryRun.Setting setting : translation.settings()) {
      Object value = setting.value();
      if (PATH_KEYS.contains(setting.path())) {
        value = value instanceof List<?> list ? list.stream().map(p -> relative(base, (String) p)).toList()
            : relative(base, (String) value);
      }
      String key = setting.path().substring("peft4j.".length());
      out.append(key).append(" = ").append(ConfigValueFactory.fromAnyRef(value).render(ConfigRenderOptions.concise()))
          .append("  # ").append(setting.from()).append('\n');
    }
    if (translation.overwrite()) {
      out.append("# overwrite_output_dir: true: train with --overwrite\n");
    }
    if (translation.resume()) {
      out.append("# resume_from_checkpoint: true: train with --resume\n");
    }
    for (SettingProblem note : translation.notes()) {
      out.append("# ").append(note.path()).append(" (").append(note.origin()).append("): ").append(note.message())
          .append('\n');
    }
    return out.toString();
  }

  private static String relative(Path base, String path) {
    Path absolute = Path.of(path);
    try {
      return base.relativize(absolute).toString().replace('\\', '/');
    } catch (IllegalArgumentException e) {
      return path; // another root: keep it absolute
    }
  }
}
