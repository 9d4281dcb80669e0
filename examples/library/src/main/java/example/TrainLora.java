package example;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.peft4j.runtime.LoadedModel;
import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.TrainingRun;
import dev.peft4j.runtime.generate.Generator;
import dev.peft4j.runtime.train.StepEvent;
import dev.peft4j.runtime.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Fine-tunes LoRA from Java code: makes the tiny random model peft4j's demo uses (no download), trains a LoRA adapter
 * on the shipped two-digit additions with a listener that prints the loss, and asks the trained model a question.
 *
 * <pre>
 *   java example.TrainLora WORK_DIR EXAMPLES_DIR [STEPS]
 * </pre>
 */
public final class TrainLora {

  private TrainLora() {}

  public static void main(String[] args) {
    Path work = Path.of(args.length > 0 ? args[0] : "target/run");
    Path examples = Path.of(args.length > 1 ? args[1] : "..");
    int steps = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    TrainingRun.Outcome outcome = train(work, examples, steps);
    System.out.printf(Locale.ROOT, "eval loss %.4f -> %.4f after %d steps; adapter in %s%n",
        outcome.evalLossBefore().getAsDouble(), outcome.evalLossAfter().getAsDouble(), outcome.steps(),
        outcome.model());
  }

  /** Trains LoRA r 8 on every linear layer of a tiny model for {@code steps} steps; the outputs go to {@code work}. */
  public static TrainingRun.Outcome train(Path work, Path examples, int steps) {
    Peft4j peft4j = Peft4j.builder().build();
    Path model = work.resolve("model");
    if (!Files.isDirectory(model)) {
      peft4j.initModel(model, "tiny", 42);
    }
    // The run file as settings built in code: the same keys as examples/lora.conf.
    Config run = ConfigFactory.parseMap(Map.of(
        "model.path", model.toString(),
        "methods", List.of("lora"),
        "lora", Map.of("rank", 8, "alpha", 16, "target", "all-linear"),
        "data", Map.of("train", examples.resolve("data/train.jsonl").toString(),
            "eval", examples.resolve("data/eval.jsonl").toString()),
        "training", Map.of("learning-rate", 3e-3, "batch-size", 16, "max-steps", steps, "logging-steps", 20,
            "warmup-steps", 10),
        "output.dir", work.resolve("lora").toString()));
    TrainingRun.Outcome outcome = peft4j.training(peft4j.validate(run))
        .overwrite()
        .listener(new TrainingListener() {
          @Override
          public void onStep(StepEvent step) {
            if (step.logged()) {
              System.out.printf(Locale.ROOT, "step %d/%d: loss %.4f%n", step.step(), step.totalSteps(), step.loss());
            }
          }
        })
        .run();
    try (LoadedModel trained = peft4j.loadModel(model, Optional.of(outcome.model()))) {
      System.out.println("What is 23 + 58? -> " + trained.generate("What is 23 + 58?", Generator.Sampling.greedy(4)));
    }
    return outcome;
  }
}
