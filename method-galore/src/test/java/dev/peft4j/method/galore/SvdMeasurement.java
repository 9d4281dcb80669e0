package dev.peft4j.method.galore;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.peft4j.api.MethodContext.LinearAlgebra.Svd;
import dev.peft4j.runtime.config.CoreSettings.DataFormat;
import dev.peft4j.runtime.data.Batch;
import dev.peft4j.runtime.data.BatchArrays;
import dev.peft4j.runtime.data.BatchPosition;
import dev.peft4j.runtime.data.Batches;
import dev.peft4j.runtime.data.DataOptions;
import dev.peft4j.runtime.data.Datasets;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelFiles;
import dev.peft4j.runtime.model.ModelInit;
import dev.peft4j.runtime.model.ModelSizes;
import dev.peft4j.runtime.nn.Parameter;
import dev.peft4j.runtime.setup.RuntimeMethodContext;
import dev.peft4j.runtime.tokenizer.Tokenizer;
import dev.peft4j.runtime.train.AdamW;
import dev.peft4j.runtime.train.CausalLmLoss;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Not a test: the measurement behind GaLore's choice of SVD (bench/README.md; docs/methods/galore.md, "Which SVD"). On the {@code small} model's
 * matrix shapes, for the gradients of one decoder layer after 0 and N steps of AdamW on the shipped additions,
 * and for Gaussian matrices of the same shapes (a flat spectrum, the worst case), it times the exact SVD (the
 * runtime's, EJML in double precision, as {@code galore.svd = exact} uses it) and the randomized one, and says
 * how well the randomized top-r subspace agrees: the gradient energy it captures relative to the exact top r
 * ({@code ‖P·Gᵀ‖² / ‖P_exact·Gᵀ‖²}) and the smallest cosine of the principal angles between the two.
 *
 * <pre>mvn -o -q test-compile -pl runtime -am
 * java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 \
 *   -cp runtime/target/test-classes:runtime/target/classes:'runtime/target/lib/*' \
 *   dev.peft4j.method.galore.SvdMeasurement [STEPS] [RANK]</pre>
 */
public final class SvdMeasurement {

  private SvdMeasurement() {}

  public static void main(String[] args) throws Exception {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int rank = args.length > 1 ? Integer.parseInt(args[1]) : 16;
    Path folder = Path.of("runs", "models", "small");
    if (!Files.isRegularFile(folder.resolve("model.safetensors"))) {
      ModelInit.write(folder, Optional.of(ModelSizes.SMALL), Optional.empty(), 42);
    }
    Engine engine = Engine.getEngine("PyTorch");
    try (NDManager manager = engine.newBaseManager(); Tokenizer tokenizer = Tokenizer.load(folder)) {
      RuntimeMethodContext context = new RuntimeMethodContext(manager, 42);
      CausalLm model = ModelFiles.load(folder, manager);
      model.namedParameters().values().forEach(p -> p.setTrainable(true));
      Batches batches = Batches.shuffled(Datasets.prepare(Path.of("examples", "data", "train.jsonl"),
          new DataOptions(DataFormat.ALPACA, 64, false, false), tokenizer).examples(), 16, 42, tokenizer.padId());
      AdamW adamW = new AdamW(0.9, 0.999, 1e-8, manager);
      Map<String, Map<String, float[]>> gradients = new LinkedHashMap<>();
      Map<String, Shape> shapes = new LinkedHashMap<>();
      for (int step = 0; step <= steps; step++) {
        try (NDScope scope = new NDScope()) {
          Batch batch = batches.batch(new BatchPosition(0, step));
          BatchArrays arrays = batch.toNDArrays(manager);
          try (GradientCollector collector = engine.newGradientCollector()) {
            collector.backward(CausalLmLoss.meanAndCount(model.forward(arrays.inputIds(), batch.attentionMask()),
                arrays.labels())[0]);
          }
          for (Map.Entry<String, Parameter> entry : model.namedParameters().entrySet()) {
            NDArray weights = entry.getValue().data();
            if ((step == 0 || step == steps) && entry.getKey().startsWith("model.layers.3.")
                && weights.getShape().dimension() == 2) {
              gradients.computeIfAbsent("after " + step + " steps", k -> new LinkedHashMap<>())
                  .put(entry.getKey(), weights.getGradient().toFloatArray());
              shapes.put(entry.getKey(), weights.getShape());
            }
            adamW.step(entry.getKey(), weights, weights.getGradient(), 1e-3, 0);
            weights.getGradient().set(new NDIndex("..."), 0);
          }
        }
      }
      Random random = new Random(7);
      Map<String, float[]> gaussian = new LinkedHashMap<>();
      shapes.forEach((name, shape) -> {
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) random.nextGaussian();
        }
        gaussian.put(name, values);
      });
      gradients.put("Gaussian", gaussian);

      ExactSingularVectors exact = new ExactSingularVectors(context);
      RandomizedSingularVectors randomized = new RandomizedSingularVectors(context);
      System.out.printf(Locale.ROOT, "rank %d; per matrix: exact ms, randomized ms, energy ratio, smallest cosine%n", rank);
      for (Map.Entry<String, Map<String, float[]>> set : gradients.entrySet()) {
        double exactTotal = 0;
        double randomizedTotal = 0;
        for (Map.Entry<String, float[]> entry : set.getValue().entrySet()) {
          try (NDScope scope = new NDScope()) {
            Shape shape = shapes.get(entry.getKey());
            NDArray g = context.array(entry.getValue(), shape);
            // GaLore's std projection: the right side of a tall matrix, the left side of a wide one.
            SingularVectors.Side side = shape.get(0) >= shape.get(1) ? SingularVectors.Side.RIGHT : SingularVectors.Side.LEFT;
            exact.top(g, rank, side, "warm-up");
            randomized.top(g, rank, side, "warm-up");
            long start = System.nanoTime();
            SingularVectors.Top e = exact.top(g, rank, side, entry.getKey());
            double exactMs = (System.nanoTime() - start) / 1e6;
            start = System.nanoTime();
            int repeats = 5;
            SingularVectors.Top r = null;
            for (int i = 0; i < repeats; i++) {
              r = randomized.top(g, rank, side, entry.getKey() + "@" + i);
            }
            double randomizedMs = (System.nanoTime() - start) / 1e6 / repeats;
            NDArray pe = side == SingularVectors.Side.RIGHT ? e.vh() : e.u().transpose();
            NDArray pr = side == SingularVectors.Side.RIGHT ? r.vh() : r.u().transpose();
            NDArray oriented = side == SingularVectors.Side.RIGHT ? g : g.transpose();
            double energy = oriented.matMul(pr.transpose()).square().sum().getFloat()
                / oriented.matMul(pe.transpose()).square().sum().getFloat();
            Svd angles = context.linearAlgebra().svd(pr.matMul(pe.transpose()));
            float[] cosines = angles.s().toFloatArray();
            System.out.printf(Locale.ROOT, "%-12s %-38s %-12s exact %8.1f ms  randomized %6.1f ms  energy %.4f  min cos %.4f%n",
                set.getKey(), entry.getKey(), shape, exactMs, randomizedMs, energy, cosines[cosines.length - 1]);
            exactTotal += exactMs;
            randomizedTotal += randomizedMs;
          }
        }
        System.out.printf(Locale.ROOT, "%-12s one layer's 7 projectors: exact %.0f ms, randomized %.0f ms%n", set.getKey(),
            exactTotal, randomizedTotal);
      }
    }
  }
}
