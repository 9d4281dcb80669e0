package dev.peft4j.runtime.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.runtime.Names;
import dev.peft4j.runtime.nn.Parameter;
import dev.peft4j.runtime.train.Checkpoints;
import dev.peft4j.runtime.train.TrainingException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether a checkpoint's tensors fit the run about to resume from it: a tensor for each trainable weight, of its
 * shape, AdamW's two moments for each weight it counts steps of, and nothing else but the hooks' state. Checked
 * before anything is copied, so that a misfit is a message naming the tensors, not a failure deep in a copy.
 */
final class CheckpointFit {

  private static final int NAMED = 5;

  private CheckpointFit() {}

  /** @param trainable the weights the run trains, by name */
  static void require(Checkpoints.Saved saved, Map<String, Parameter> trainable) {
    List<String> problems = new ArrayList<>();
    trainable.forEach((name, parameter) -> {
      NDArray values = saved.trainable().get(name);
      Shape shape = parameter.data().getShape();
      if (values == null) {
        problems.add("no weights for " + name);
      } else if (!values.getShape().equals(shape)) {
        problems.add(name + " has shape " + values.getShape() + ", the model's is " + shape);
      }
    });
    saved.trainable().keySet().stream().filter(name -> !trainable.containsKey(name))
        .forEach(name -> problems.add(name + " is not a weight this run trains"));
    Map<String, NDArray> optimizer = saved.optimizer();
    for (String name : saved.state().optimizerSteps().keySet()) {
      Parameter parameter = trainable.get(name);
      for (String moment : List.of("exp_avg.", "exp_avg_sq.")) {
        NDArray values = optimizer.get(moment + name);
        if (values == null) {
          problems.add("optimizer.safetensors has no " + moment + name);
        } else if (parameter != null && !values.getShape().equals(parameter.data().getShape())) {
          problems.add(moment + name + " has shape " + values.getShape() + ", its weight's is " + parameter.data().getShape());
        }
      }
    }
    for (String key : optimizer.keySet()) {
      boolean moment = (key.startsWith("exp_avg.") || key.startsWith("exp_avg_sq."))
          && saved.state().optimizerSteps().containsKey(key.substring(key.indexOf('.') + 1));
      boolean hook = saved.state().hooks().stream().anyMatch(id -> key.startsWith("hook." + id + "."));
      if (!moment && !hook) {
        problems.add("optimizer.safetensors holds " + key + ", which is no state of this run's optimizer");
      }
    }
    if (!problems.isEmpty()) {
      throw new TrainingException("checkpoint " + saved.folder() + " does not fit this run: "
          + Names.firstFew(problems, NAMED, "; ") + ". It was written for other methods or another model: resume with "
          + "those, or start the run again (train with --overwrite)");
    }
  }
}
