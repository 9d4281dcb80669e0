package dev.peft4j.method.badam;

import dev.peft4j.api.plan.MethodPlan;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.api.plan.OptimizerCost;
import dev.peft4j.api.plan.ParameterShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * BAdam's plan. Layer mode: blocks as BAdam's {@code BlockOptimizer.infer_param_groups} forms them — a
 * block per decoder layer ({@code model.layers.N.}), the embedding as a block of its own with {@code
 * include-embedding}, and every other parameter (the head, the final norm) as the last block with {@code
 * include-lm-head}; parameters in no block never train. One block trains at a time, with Adam state
 * reset at each switch, so the peak is the largest block: only its parameters hold a gradient, Adam's
 * two moments and the update's scratch (priced as the runtime's AdamW: 8 values per value).
 *
 * <p>Ratio mode: every trainable parameter holds a full gradient; tensors of at least {@value
 * #PRESERVE_THRESHOLD} values update {@code update-ratio} of their entries, with two moments for those
 * only (and, for {@code scatter} masks, their int64 indices); smaller tensors update fully.
 */
final class BadamPlan {

  /** BAdam's {@code preserve_threshold}: smaller tensors update every entry in ratio mode. */
  static final long PRESERVE_THRESHOLD = 100;

  private static final Pattern LAYER = Pattern.compile(".*layers.[^.]*\\.");

  private BadamPlan() {}

  /** The blocks, each a list of parameter names, in the order BAdam forms them ({@link Blocks#infer}). */
  static List<List<String>> blocks(BadamSettings settings, List<String> names) {
    List<List<String>> blocks = new ArrayList<>();
    for (Blocks.Block block : Blocks.infer(names, settings.includeEmbedding(), settings.includeLmHead())) {
      blocks.add(names.stream().filter(block::contains).toList());
    }
    return blocks;
  }

  private static String prefix(Pattern pattern, String name) {
    Matcher m = pattern.matcher(name);
    return m.lookingAt() ? m.group() : null;
  }

  static MethodPlan of(BadamSettings settings, ModelShape model) {
    MethodPlan.Builder plan = MethodPlan.builder();
    List<ParameterShape> trainable = model.trainable();
    if (settings.mode() == BadamSettings.Mode.RATIO) {
      long updated = 0;
      for (ParameterShape p : trainable) {
        long n = p.size();
        long k = n < PRESERVE_THRESHOLD ? n : (long) Math.ceil(settings.updateRatio() * n);
        boolean indices = n >= PRESERVE_THRESHOLD && settings.maskMode() == BadamSettings.MaskMode.SCATTER;
        plan.cost(p.name(), new OptimizerCost(n, 2 * k + (indices ? 2 * k : 0), 8 * k + n));
        updated += k;
      }
      plan.note(String.format(Locale.ROOT, "ratio mode: %,d of %,d trainable values update (%s masks); "
          + "every gradient is held in full", updated, model.trainableSize(),
          settings.maskMode().name().toLowerCase(Locale.ROOT)));
      return plan.build();
    }
    Map<String, ParameterShape> byName = model.byName();
    List<List<String>> blocks = blocks(settings, trainable.stream().map(ParameterShape::name).toList());
    List<String> largest = List.of();
    long largestSize = -1;
    for (List<String> block : blocks) {
      long size = block.stream().mapToLong(name -> byName.get(name).size()).sum();
      if (size > largestSize) {
        largestSize = size;
        largest = block;
      }
    }
    List<String> inNoBlock = new ArrayList<>();
    java.util.Set<String> inBlocks = new java.util.HashSet<>();
    blocks.forEach(inBlocks::addAll);
    java.util.Set<String> largestNames = java.util.Set.copyOf(largest);
    for (ParameterShape p : trainable) {
      if (largestNames.contains(p.name())) {
        plan.cost(p.name(), new OptimizerCost(p.size(), 2 * p.size(), 8 * p.size()));
      } else {
        plan.cost(p.name(), OptimizerCost.NONE);
        if (!inBlocks.contains(p.name())) {
          inNoBlock.add(p.name());
        }
      }
    }
    if (!largest.isEmpty()) {
      String first = largest.get(0);
      String label = prefix(LAYER, first) != null ? prefix(LAYER, first).replaceAll("\\.$", "")
          : String.join(", ", largest);
      plan.note(String.format(Locale.ROOT, "%d blocks; the largest, %s, has %,d parameters: the most that hold "
          + "gradients and Adam state at a time", blocks.size(), label, largestSize));
    }
    if (!inNoBlock.isEmpty()) {
      plan.note("in no block, never trained: " + String.join(", ", inNoBlock)
          + " (include-embedding / include-lm-head make blocks of them)");
    }
    return plan.build();
  }
}
