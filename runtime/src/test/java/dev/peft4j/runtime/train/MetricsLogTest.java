package dev.peft4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {

  @TempDir
  Path dir;

  @Test
  void failure6_aResumedLogKeepsOneEvalLineAStep() throws IOException {
    Path file = dir.resolve("metrics.jsonl");
    try (MetricsLog log = new MetricsLog(file, 0)) {
      log.write(Map.of("step", 0, "eval_loss", 4.0));
      log.write(Map.of("step", 2, "loss", 3.0));
      log.write(Map.of("step", 2, "eval_loss", 3.5));
      log.write(Map.of("step", 3, "loss", 2.9));
    }
    // A finished run resumed from step 2 evaluates at 2 before (and, with nothing left to do, after) its loop.
    try (MetricsLog log = new MetricsLog(file, 2)) {
      log.write(Map.of("step", 2, "eval_loss", 3.5));
      log.write(Map.of("step", 3, "loss", 2.9));
      log.write(Map.of("step", 3, "eval_loss", 3.1));
      log.write(Map.of("step", 3, "eval_loss", 3.1));
    }

    assertThat(MetricsLog.read(file).stream().map(MetricsLogTest::describe))
        .containsExactly("0 eval", "2 loss", "2 eval", "3 loss", "3 eval");
  }

  private static String describe(JsonObject line) {
    return line.get("step").getAsInt() + (line.has("eval_loss") ? " eval" : " loss");
  }
}
