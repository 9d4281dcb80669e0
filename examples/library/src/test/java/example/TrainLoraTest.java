package example;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.runtime.TrainingRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example trains: its adapter is written in PEFT's layout and the held-out loss falls. */
class TrainLoraTest {

  @Test
  void trainsLoraFromJavaCode(@TempDir Path work) {
    TrainingRun.Outcome outcome = TrainLora.train(work, Path.of(System.getProperty("examples.dir", "..")), 60);
    assertTrue(Files.isRegularFile(outcome.model().resolve("adapter_config.json")), "adapter_config.json written");
    assertTrue(Files.isRegularFile(outcome.model().resolve("adapter_model.safetensors")), "weights written");
    assertTrue(outcome.evalLossAfter().getAsDouble() < outcome.evalLossBefore().getAsDouble(),
        "eval loss " + outcome.evalLossBefore() + " -> " + outcome.evalLossAfter());
  }
}
