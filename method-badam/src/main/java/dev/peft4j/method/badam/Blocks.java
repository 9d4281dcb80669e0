package dev.peft4j.method.badam;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The blocks of layer mode, inferred from parameter names exactly as the reference's {@code
 * infer_param_groups} does: one block per decoder layer (prefix {@code model.layers.N.}), the embedding
 * as a block of its own with {@code include-embedding} (prefix {@code model.embed_tokens.}), and with
 * {@code include-lm-head} a last block of every other parameter by full name — the head, the final
 * norm, and the embedding too when it is not a block of its own. A parameter belongs to a block when
 * one of the block's prefixes occurs in its name.
 */
final class Blocks {

  private static final Pattern LAYER = Pattern.compile(".*layers.[^.]*\\.");
  private static final Pattern EMBEDDING = Pattern.compile(".*embed[^.]*\\.");

  /** A block: the name prefixes of its parameters. */
  record Block(List<String> prefixes) {
    Block {
      prefixes = List.copyOf(prefixes);
    }

    boolean contains(String parameter) {
      return prefixes.stream().anyMatch(parameter::contains);
    }

    /** The prefixes as the reference prints them: {@code ['model.layers.0.']}. */
    String describe() {
      return "['" + String.join("', '", prefixes) + "']";
    }
  }

  private Blocks() {}

  static List<Block> infer(List<String> parameterNames, boolean includeEmbedding, boolean includeLmHead) {
    List<Block> blocks = new ArrayList<>();
    List<String> others = new ArrayList<>();
    for (String name : parameterNames) {
      if (blocks.stream().anyMatch(block -> name.contains(block.prefixes().get(0)))) {
        continue;
      }
      Matcher layer = LAYER.matcher(name);
      Matcher embedding = EMBEDDING.matcher(name);
      if (layer.find()) {
        blocks.add(new Block(List.of(layer.group())));
      } else if (includeEmbedding && embedding.find()) {
        blocks.add(new Block(List.of(embedding.group())));
      } else {
        others.add(name);
      }
    }
    if (includeLmHead && !others.isEmpty()) {
      blocks.add(new Block(others));
    }
    return blocks;
  }
}
