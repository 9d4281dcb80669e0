package dev.peft4j.method.badam;

import dev.peft4j.api.MethodContext;
import dev.peft4j.api.OptimizerHook;
import dev.peft4j.api.UnsupportedFeatureException;
import dev.peft4j.api.model.ModelView;
import dev.peft4j.api.model.ParameterView;
import dev.peft4j.method.badam.Blocks.Block;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * BAdam's layer mode: one block trains at a time, under the runtime's AdamW. Before each step it
 * freezes every parameter outside the active block; the runtime then drops the AdamW state and the
 * gradient of whatever stopped training, and at a switch ({@link #resetsOptimizerState}) the state of
 * everything, as the reference replaces its base optimizer's state at every switch — even when
 * {@code fixed} keeps the same block, so bias correction starts again.
 */
final class LayerModeHook implements OptimizerHook {

  private final BadamSettings settings;
  private final MethodContext context;
  private List<Block> blocks;
  private BlockSchedule schedule;
  /** The parameters the selector lets train; BAdam chooses among these only. */
  private Set<String> allowed;
  private long shownActivation = -1;

  LayerModeHook(BadamSettings settings, MethodContext context) {
    this.settings = settings;
    this.context = context;
  }

  @Override
  public void beforeStep(StepInfo step, ModelView model) {
    List<ParameterView> parameters = model.parameters();
    if (blocks == null) {
      start(parameters);
    }
    long activation = schedule.activation(step.step());
    Block block = blocks.get(schedule.blockAt(activation));
    for (ParameterView parameter : parameters) {
      if (allowed.contains(parameter.name())) {
        parameter.setTrainable(block.contains(parameter.name()));
      }
    }
    if (activation != shownActivation) {
      shownActivation = activation;
      show(step.step(), activation, block, parameters);
    }
  }

  @Override
  public boolean resetsOptimizerState(StepInfo step) {
    return schedule != null && schedule.switchesBefore(step.step());
  }

  /** Blocks are known once the model is: at the first step. */
  private void start(List<ParameterView> parameters) {
    blocks = Blocks.infer(parameters.stream().map(ParameterView::name).toList(), settings.includeEmbedding(),
        settings.includeLmHead());
    if (blocks.isEmpty()) {
      throw new UnsupportedFeatureException("badam found no block: no parameter name contains layers.N. "
          + "(and include-embedding and include-lm-head are off)");
    }
    if (settings.startBlock().isPresent() && settings.startBlock().getAsInt() >= blocks.size()) {
      throw new UnsupportedFeatureException("badam.start-block = " + settings.startBlock().getAsInt()
          + " does not exist: this model has " + blocks.size() + " blocks (0 to " + (blocks.size() - 1) + ")");
    }
    allowed = new HashSet<>();
    parameters.stream().filter(ParameterView::trainable).forEach(p -> allowed.add(p.name()));
    for (int i = 0; i < blocks.size(); i++) {
      Block block = blocks.get(i);
      if (allowed.stream().noneMatch(block::contains)) {
        throw new UnsupportedFeatureException("badam block " + i + " " + block.describe()
            + " has no parameter that the selector lets train: use methods = [full, badam]");
      }
    }
    schedule = new BlockSchedule(blocks.size(), settings.switchMode(), settings.startBlock(),
        settings.switchInterval(), context.seed());
  }

  /** verbose 1: the active block at each switch (and the order of each random pass); 2: also its parameters. */
  private void show(long step, long activation, Block block, List<ParameterView> parameters) {
    if (settings.verbose() < 1) {
      return;
    }
    long pass = schedule.passStartedBy(activation);
    if (pass >= 0) {
      context.report("badam: block order of pass " + (pass + 1) + ": " + Arrays.toString(schedule.order(pass)));
    }
    context.report("badam step " + (step + 1) + " (block " + schedule.blockAt(activation) + " of " + blocks.size()
        + "): Parameters with the following prefix will be trainable: " + block.describe());
    if (settings.verbose() >= 2) {
      parameters.stream().filter(ParameterView::trainable).forEach(p -> context.report("  " + p.name()));
    }
  }
}
