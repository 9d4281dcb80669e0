package dev.peft4j.runtime.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.runtime.nn.Linear;
import dev.peft4j.runtime.nn.NativeMemory;
import dev.peft4j.runtime.nn.Nf4Linear;
import dev.peft4j.runtime.nn.Precision;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Measures a 4-bit (NF4) weight's cost in a forward pass: the median milliseconds of dequantizing an {@code out × in}
 * weight, of the layer's forward pass over {@code tokens} tokens (dequantizing included), and of the same product
 * with the weight already dequantized. Prints one JSON line.
 *
 * <pre>java … Nf4Benchmark PRECISION OUT IN TOKENS CALLS</pre>
 */
public final class Nf4Benchmark {

  private Nf4Benchmark() {}

  public static void main(String[] args) {
    NativeMemory.keepFreedMemory();
    Precision precision = Precision.valueOf(args[0].toUpperCase(Locale.ROOT));
    int out = Integer.parseInt(args[1]);
    int in = Integer.parseInt(args[2]);
    int tokens = Integer.parseInt(args[3]);
    int calls = Integer.parseInt(args[4]);
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray weight = precision.store(manager.randomNormal(new Shape(out, in)).mul(0.02f));
      Nf4Linear layer = Nf4Linear.quantize(new Linear(weight, null, precision), manager, false);
      NDArray input = precision.compute(manager.randomNormal(new Shape(tokens, in)));
      NDArray dequantized = layer.dequantize();
      List<Double> dequantize = new ArrayList<>();
      List<Double> forward = new ArrayList<>();
      List<Double> product = new ArrayList<>();
      for (int i = 0; i < calls; i++) {
        dequantize.add(millis(layer::dequantize));
        forward.add(millis(() -> layer.forward(input)));
        product.add(millis(() -> input.matMul(dequantized.transpose())));
      }
      System.out.println(String.format(Locale.ROOT,
          "{\"precision\": \"%s\", \"out\": %d, \"in\": %d, \"tokens\": %d, \"calls\": %d, \"dequantize_ms\": %.2f, "
              + "\"forward_ms\": %.2f, \"product_alone_ms\": %.2f}",
          precision.name().toLowerCase(Locale.ROOT), out, in, tokens, calls, TrainingBenchmark.median(dequantize),
          TrainingBenchmark.median(forward), TrainingBenchmark.median(product)));
    }
  }

  /** The milliseconds of one call, its arrays closed after it (not timed). */
  private static double millis(Runnable call) {
    try (NDScope scope = new NDScope()) {
      long start = System.nanoTime();
      call.run();
      return (System.nanoTime() - start) / 1e6;
    }
  }
}
