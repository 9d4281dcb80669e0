package dev.peft4j.runtime.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.peft4j.runtime.data.Batch;
import dev.peft4j.runtime.data.Example;
import dev.peft4j.runtime.model.ModelStages;
import dev.peft4j.runtime.model.Recomputed;
import dev.peft4j.runtime.nn.Tensors;
import dev.peft4j.runtime.nn.TorchOps;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * One micro-batch's forward and backward pass, run stage by stage ({@link ModelStages}): every training step and
 * every evaluation of the trainer goes through it.
 *
 * <p><b>Forward.</b> Each stage runs in an {@link NDScope} of its own, closed as soon as the stage returns: DJL keeps
 * every array a forward pass makes until its scope closes, but libtorch's autograd holds its own references to
 * what the backward pass needs, so closing the scope frees exactly what PyTorch would free — the memory of a
 * training step is what autograd saves, not every intermediate. Each stage after the first starts from a detached
 * copy of the hidden states, which takes a gradient only where the backward pass must go on below it. Stages below
 * the lowest one with a trainable parameter run without a graph.
 *
 * <p><b>Gradient checkpointing.</b> With it no stage keeps a graph: the forward pass keeps only each decoder layer's
 * input, and the backward pass runs each stage again, with a graph, just before its backward — transformers'
 * {@code gradient_checkpointing} per decoder layer — without a layer's last product when that product is frozen
 * ({@link Recomputed}: only its input's gradient is needed, as transformers' non-reentrant checkpointing finds). The
 * random generator is seeded per stage from the step, the micro-batch and the stage, so a stage run again draws the
 * same dropout masks, and the gradients are those of a run without it.
 *
 * <p><b>The loss in chunks.</b> The head runs only on the positions the loss counts (the next label is not {@link
 * Example#IGNORE}), a chunk of them at a time (at most {@link CausalLmLoss#headValues} logits): each chunk's logits and
 * backward pass come and go before the next, so the logits of a large batch never exist at once. In bf16 a head chunk
 * is larger than the float32 loss may be ({@link CausalLmLoss#chunkValues}): its logits come from one product, and
 * the loss and the logits' gradient are computed a part of them at a time, before one backward pass through the head.
 *
 * <p><b>Backward.</b> From the head down, stage by stage, each from the gradient of its output (libtorch's
 * vector-Jacobian product), to the lowest stage that trains. After each stage's backward its parameters' gradients
 * are complete: a layer-wise optimizer may step them and free them there.
 */
final class StagedPass {

  private final Engine engine;
  private final boolean checkpointing;
  private final int vocabulary;
  private final long headValues;
  private final long chunkValues;

  /**
   * @param vocabulary the head's output size, which with {@code headValues} and {@code chunkValues} sets how many
   *     positions a chunk holds
   * @param headValues the most logits one product with the head makes ({@link CausalLmLoss#headValues})
   * @param chunkValues the most logits a chunk of the float32 loss holds ({@link CausalLmLoss#chunkValues})
   */
  StagedPass(Engine engine, boolean checkpointing, int vocabulary, long headValues, long chunkValues) {
    this.engine = engine;
    this.checkpointing = checkpointing;
    this.vocabulary = vocabulary;
    this.headValues = headValues;
    this.chunkValues = chunkValues;
  }

  /** The summed loss over the counted positions of a micro-batch, and their number. */
  record Loss(double sum, long counted) {
    double mean() {
      return sum / Math.max(1, counted);
    }

    boolean finite() {
      return Double.isFinite(sum);
    }
  }

  /** The positions a micro-batch's loss counts: their flat index {@code b·T + t} and the token that should follow. */
  private record Targets(long[] index, long[] labels) {
    static Targets of(Batch batch) {
      int length = batch.length();
      List<long[]> found = new ArrayList<>();
      for (int b = 0; b < batch.size(); b++) {
        int[] row = batch.labels()[b];
        for (int t = 0; t + 1 < length; t++) {
          if (row[t + 1] != Example.IGNORE) {
            found.add(new long[] {(long) b * length + t, row[t + 1]});
          }
        }
      }
      long[] index = new long[found.size()];
      long[] labels = new long[found.size()];
      for (int i = 0; i < index.length; i++) {
        index[i] = found.get(i)[0];
        labels[i] = found.get(i)[1];
      }
      return new Targets(index, labels);
    }

    int count() {
      return index.length;
    }
  }

  /**
   * The forward and backward pass of one micro-batch: gradients accumulate into the trainable parameters, for the
   * mean loss over the micro-batch's counted positions times {@code lossScale} (1 / micro-batches of the step).
   *
   * @param lowest the lowest stage with a trainable parameter: the backward pass stops there
   * @param seed the random seed of this step and micro-batch; each stage derives its own
   * @param stageDone called after each stage's backward pass, from the head down to {@code lowest}, when the
   *     gradients of that stage's parameters are complete
   * @return the summed loss; not finite when a chunk's loss was not, and then no gradient of that chunk was added
   */
  Loss train(ModelStages stages, NDArray inputIds, Batch batch, int lowest, double lossScale, long seed,
      IntConsumer stageDone) {
    NDManager manager = inputIds.getManager();
    int head = stages.count() - 1;
    NDArray[] inputs = new NDArray[head + 1];
    NDArray[] outputs = new NDArray[head];
    NDArray h = inputIds;
    for (int s = 0; s < head; s++) {
      final int stage = s;
      boolean graph = !checkpointing && s >= lowest;
      NDArray x = s == 0 ? inputIds : leaf(h, graph && s > lowest);
      if (s > 0) {
        inputs[s] = x;
        if (outputs[s - 1] == null) {
          h.close(); // a stage without a graph: its output lives on as the next stage's input
        }
      }
      seedStage(seed, s);
      NDArray out = graph ? withGraph(() -> scoped(() -> stages.forward(stage, x))) : scoped(() -> stages.forward(stage, x));
      if (graph) {
        outputs[s] = out;
      }
      h = out;
    }
    Targets targets = Targets.of(batch);
    NDArray last = leaf(h, false);
    if (outputs[head - 1] == null) {
      h.close();
    }
    inputs[head] = last;
    if (targets.count() == 0) {
      return new Loss(0, 0);
    }
    NDArray scale = Tensors.scalar(manager, (float) (lossScale / targets.count()));
    double sum = 0;
    List<NDArray> gradients = new ArrayList<>();
    int rows = headRows(targets);
    int part = partRows(targets);
    for (int from = 0, chunk = 0; from < targets.count(); from += rows, chunk++) {
      int n = Math.min(rows, targets.count() - from);
      NDArray gradient;
      double chunkSum = 0;
      try (NDScope scope = new NDScope()) {
        NDArray index = Tensors.of(manager, slice(targets.index(), from, n), new Shape(n));
        NDArray positions = TorchOps.get().rows(last, index);
        positions.setRequiresGradient(true);
        seedStage(seed, head + chunk);
        if (n <= part) {
          try (GradientCollector collector = engine.newGradientCollector()) {
            NDArray loss = TorchOps.get().crossEntropySum(stages.forward(head, positions), labels(manager, targets, from, n));
            chunkSum = loss.getFloat();
            if (!Double.isFinite(chunkSum)) {
              return new Loss(chunkSum, targets.count());
            }
            collector.backward(loss.mul(scale));
          }
        } else {
          NDArray logits = withGraph(() -> stages.forward(head, positions));
          List<NDArray> parts = new ArrayList<>();
          for (int k = 0; k < n; k += part) {
            int m = Math.min(part, n - k);
            NDArray values = logits.get(new NDIndex("{}:{}", k, k + m)).stopGradient();
            values.setRequiresGradient(true);
            try (GradientCollector collector = engine.newGradientCollector()) {
              NDArray loss = TorchOps.get().crossEntropySum(values, labels(manager, targets, from + k, m));
              double partSum = loss.getFloat();
              if (!Double.isFinite(partSum)) {
                return new Loss(partSum, targets.count());
              }
              collector.backward(loss.mul(scale));
              chunkSum += partSum;
            }
            parts.add(values.getGradient());
          }
          NDArray logitsGradient = NDArrays.concat(new NDList(parts));
          parts.forEach(NDArray::close);
          backward(logits, logitsGradient);
        }
        gradient = positions.getGradient();
        NDScope.unregister(gradient);
      }
      NDScope.register(gradient);
      gradients.add(gradient);
      sum += chunkSum;
    }
    NDArray index = Tensors.of(manager, targets.index(), new Shape(targets.count()));
    NDArray upstream = TorchOps.get().rowsIntoZeros(last, index,
        gradients.size() == 1 ? gradients.get(0) : NDArrays.concat(new NDList(gradients)));
    gradients.forEach(NDArray::close);
    stageDone.accept(head);
    for (int s = head - 1; s >= lowest; s--) {
      final int stage = s;
      if (checkpointing) {
        NDArray x = s == 0 ? inputIds : inputs[s];
        if (s > lowest) {
          x.setRequiresGradient(true);
        }
        seedStage(seed, s);
        NDArray gradientOfOutput = upstream;
        withGraph(() -> {
          try (NDScope scope = new NDScope()) {
            Recomputed again = stages.recompute(stage, x);
            if (again.tail() == null) {
              backward(again.output(), gradientOfOutput);
            } else {
              TorchOps.get().backwardFromTwo(again.output(), gradientOfOutput, again.tail(),
                  again.product().inputGradient(gradientOfOutput));
            }
          }
          return null;
        });
      } else {
        backward(outputs[s], upstream);
        outputs[s].close();
      }
      NDArray below = s > lowest ? inputs[s].getGradient() : null;
      stageDone.accept(s);
      upstream.close();
      if (inputs[s + 1] != null) {
        inputs[s + 1].close();
      }
      upstream = below;
    }
    return new Loss(sum, targets.count());
  }

  /** The summed loss of a micro-batch without a gradient, each stage's arrays freed as soon as the next has run. */
  Loss evaluate(ModelStages stages, NDArray inputIds, Batch batch) {
    NDManager manager = inputIds.getManager();
    int head = stages.count() - 1;
    NDArray h = inputIds;
    for (int s = 0; s < head; s++) {
      final int stage = s;
      final NDArray x = h;
      h = scoped(() -> stages.forward(stage, x));
      if (s > 0) {
        x.close();
      }
    }
    Targets targets = Targets.of(batch);
    double sum = 0;
    int rows = headRows(targets);
    int part = partRows(targets);
    for (int from = 0; from < targets.count(); from += rows) {
      int n = Math.min(rows, targets.count() - from);
      try (NDScope scope = new NDScope()) {
        NDArray index = Tensors.of(manager, slice(targets.index(), from, n), new Shape(n));
        NDArray logits = stages.forward(head, TorchOps.get().rows(h, index));
        for (int k = 0; k < n; k += part) {
          int m = Math.min(part, n - k);
          NDArray values = logits.get(new NDIndex("{}:{}", k, k + m));
          sum += TorchOps.get().crossEntropySum(values, labels(manager, targets, from + k, m)).getFloat();
        }
      }
    }
    h.close();
    return new Loss(sum, targets.count());
  }

  /** The positions one product with the head takes. */
  private int headRows(Targets targets) {
    return (int) CausalLmLoss.chunkRows(targets.count(), vocabulary, headValues);
  }

  /** The positions a part of the float32 loss takes. */
  private int partRows(Targets targets) {
    return (int) CausalLmLoss.partRows(targets.count(), vocabulary, headValues, chunkValues);
  }

  /** The labels of the {@code n} counted positions from {@code from} on. */
  private static NDArray labels(NDManager manager, Targets targets, int from, int n) {
    return Tensors.of(manager, slice(targets.labels(), from, n), new Shape(n));
  }

  /** A detached copy of {@code h} (no copy of its values), taking a gradient if asked. */
  private static NDArray leaf(NDArray h, boolean requiresGradient) {
    NDArray x = h.stopGradient();
    if (requiresGradient) {
      x.setRequiresGradient(true);
    }
    return x;
  }

  /**
   * Runs {@code stage} in a scope of its own and keeps only what it returns: every intermediate array is closed,
   * and autograd keeps what its backward pass needs.
   */
  private static NDArray scoped(java.util.function.Supplier<NDArray> stage) {
    NDArray out;
    try (NDScope scope = new NDScope()) {
      out = stage.get();
      NDScope.unregister(out);
    }
    NDScope.register(out);
    return out;
  }

  /** Runs {@code work} with autograd recording. */
  private <T> T withGraph(java.util.function.Supplier<T> work) {
    try (GradientCollector collector = engine.newGradientCollector()) {
      return work.get();
    }
  }

  /** Backward from {@code output} given the gradient of the loss with respect to it. */
  private static void backward(NDArray output, NDArray gradient) {
    JniUtils.backward((PtNDArray) output, (PtNDArray) gradient, false, false);
  }

  /** Seeds the random generator for one stage of one micro-batch, so that a stage run again draws the same numbers. */
  private void seedStage(long seed, int stage) {
    long mixed = (seed + 0x9E3779B97F4A7C15L * (stage + 1)) * 0xBF58476D1CE4E5B9L;
    engine.setRandomSeed((int) (mixed ^ (mixed >>> 31)));
  }

  private static long[] slice(long[] values, int from, int n) {
    long[] part = new long[n];
    System.arraycopy(values, from, part, 0, n);
    return part;
  }
}
