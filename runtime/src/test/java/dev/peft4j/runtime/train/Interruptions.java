package dev.peft4j.runtime.train;

import dev.peft4j.runtime.data.Batch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** What tests of interrupted and resumed runs share: data that fails, and the losses a run logged. */
public final class Interruptions {

  private Interruptions() {}

  /** Training data that fails at a chosen micro-batch, like a machine that goes down. */
  public static TrainingData failingAt(TrainingData data, long failAt) {
    return new TrainingData() {
      @Override
      public int batchesPerEpoch() {
        return data.batchesPerEpoch();
      }

      @Override
      public Batch batch(int epoch, int index) {
        if ((long) epoch * batchesPerEpoch() + index == failAt) {
          throw new IllegalStateException("the machine went down");
        }
        return data.batch(epoch, index);
      }
    };
  }

  /** The training losses of the run whose output folder is {@code out}, in order. */
  public static List<Double> losses(Path out) throws IOException {
    return MetricsLog.read(out.resolve("metrics.jsonl")).stream()
        .filter(line -> line.has("loss")).map(line -> line.get("loss").getAsDouble()).toList();
  }
}
