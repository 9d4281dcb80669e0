package dev.peft4j.runtime.config.llamafactory;

import dev.peft4j.api.config.ConfigurationException;
import dev.peft4j.api.config.SettingProblem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * A LLaMA-Factory run file: one YAML mapping of argument names to scalars (or lists of scalars), each kept with the
 * line it is on. Values stay text; {@link LlamaFactoryRun} reads each as its argument's type.
 */
final class YamlRunFile {

  /**
   * One {@code key: value} of the file or of a {@code --set} override.
   *
   * @param value the scalar's text, a list of texts, or null (YAML's null)
   * @param origin {@code file:line} or {@code --set key=value}
   * @param line the line, or -1 for an override
   */
  record Entry(String key, Object value, String origin, int line) {}

  /** What {@link #value} returns for a node that is no scalar or list of scalars. */
  private static final Object NOT_A_VALUE = new Object();

  private YamlRunFile() {}

  /** The file's entries in file order; a problem names {@code file:line}. */
  static Map<String, Entry> read(Path file) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
    } catch (CharacterCodingException e) {
      throw problem("(syntax)", file.toString(), "the run file is not valid UTF-8: save it as UTF-8");
    } catch (IOException e) {
      throw problem("(run file)", file.toString(), "the run file cannot be read: " + e.getMessage());
    }
    LoadSettings settings = LoadSettings.builder().setLabel(file.toString()).setMaxAliasesForCollections(10)
        .setAllowRecursiveKeys(false).build();
    Optional<Node> root;
    try {
      root = new Compose(settings).composeString(text);
    } catch (MarkedYamlEngineException e) {
      int line = e.getProblemMark().or(e::getContextMark).map(Mark::getLine).orElse(-1) + 1;
      throw problem("(syntax)", line > 0 ? file + ":" + line : file.toString(),
          "the run file is not valid YAML: " + firstLine(e.getProblem() == null ? e.getMessage() : e.getProblem())
              + (e.getContext() == null ? "" : " (" + e.getContext() + ")"));
    } catch (YamlEngineException e) {
      throw problem("(syntax)", file.toString(), "the run file is not valid YAML: " + firstLine(e.getMessage()));
    } catch (StackOverflowError e) {
      throw problem("(syntax)", file.toString(), "the run file is nested too deeply to read: a LLaMA-Factory run "
          + "file is one level of key: value lines");
    }
    Map<String, Entry> entries = new LinkedHashMap<>();
    if (root.isEmpty()) {
      return entries;
    }
    if (!(root.get() instanceof MappingNode mapping)) {
      throw problem("(syntax)", origin(file, root.get()), "a LLaMA-Factory run file is a mapping of key: value lines, "
          + "e.g. finetuning_type: lora");
    }
    List<SettingProblem> problems = new ArrayList<>();
    for (NodeTuple tuple : mapping.getValue()) {
      String where = origin(file, tuple.getKeyNode());
      if (!(tuple.getKeyNode() instanceof ScalarNode keyNode)) {
        problems.add(new SettingProblem("(syntax)", where, "a key must be a plain name, e.g. lora_rank"));
        continue;
      }
      String key = keyNode.getValue();
      Object value = value(tuple.getValueNode());
      if (value == NOT_A_VALUE) {
        problems.add(new SettingProblem(key, where, "must be a value or a list of values, not a mapping: LLaMA-Factory's "
            + "arguments are flat"));
        continue;
      }
      if (entries.containsKey(key)) {
        problems.add(new SettingProblem(key, where, "is set twice (first on " + entries.get(key).origin()
            + "): keep one"));
        continue;
      }
      entries.put(key, new Entry(key, value, where, line(tuple.getKeyNode())));
    }
    if (!problems.isEmpty()) {
      throw new ConfigurationException(problems);
    }
    return entries;
  }

  /** Text, a list of texts, null, or {@link #NOT_A_VALUE}. */
  private static Object value(Node node) {
    if (node instanceof ScalarNode scalar) {
      return scalar.getTag().equals(Tag.NULL) ? null : scalar.getValue();
    }
    if (node instanceof SequenceNode sequence) {
      List<String> items = new ArrayList<>();
      for (Node item : sequence.getValue()) {
        if (!(item instanceof ScalarNode scalar)) {
          return NOT_A_VALUE;
        }
        items.add(scalar.getValue());
      }
      return List.copyOf(items);
    }
    return NOT_A_VALUE;
  }

  private static int line(Node node) {
    return node.getStartMark().map(Mark::getLine).orElse(-1) + 1;
  }

  private static String origin(Path file, Node node) {
    int line = line(node);
    return line > 0 ? file + ":" + line : file.toString();
  }

  private static String firstLine(String text) {
    int newline = text.indexOf('\n');
    return (newline < 0 ? text : text.substring(0, newline)).trim();
  }

  static ConfigurationException problem(String path, String origin, String message) {
    return new ConfigurationException(List.of(new SettingProblem(path, origin, message)));
  }
}
