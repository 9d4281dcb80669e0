package dev.peft4j.runtime.plan;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.peft4j.runtime.testing.Fixtures;
import dev.peft4j.runtime.testing.Runs;
import dev.peft4j.runtime.validate.ValidationReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The planner's trainable-parameter line equals, as a string, the one Hugging Face PEFT 0.21.2 prints
 * for the same run on well-known models (fixtures/plan, made by make_plan_fixtures.py from the models'
 * config.json on the meta device): LoRA, DoRA, all-linear, patterns, biases, GQA, tied embeddings,
 * 70B; freeze by LLaMA-Factory's rules; full; BAdam's largest block as BAdam forms the blocks.
 */
class PlanAgainstPeftTest {

  @TempDir
  Path dir;

  static Stream<Arguments> cases() {
    JsonObject expected = Fixtures.json(Fixtures.path("plan/expected.json"));
    List<Arguments> cases = new ArrayList<>();
    for (JsonElement element : expected.getAsJsonArray("cases")) {
      JsonObject c = element.getAsJsonObject();
      cases.add(Arguments.of(c.get("name").getAsString(), c));
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void trainableLineEqualsPefts(String name, JsonObject c) throws IOException {
    RunPlan plan = plan(c.get("model").getAsString(), c.get("run").getAsString());

    assertThat(plan.priced()).isTrue();
    assertThat(plan.counts().orElseThrow().peftLine()).isEqualTo(c.get("line").getAsString());
    if (c.has("badam_largest_block")) {
      long params = c.getAsJsonObject("badam_largest_block").get("params").getAsLong();
      assertThat(String.join("\n", plan.methods().get(1).notes()))
          .contains(c.get("badam_blocks").getAsInt() + " blocks; the largest")
          .contains(String.format(Locale.ROOT, "has %,d parameters", params));
      assertThat(plan.memory().orElseThrow().gradients()).isEqualTo(4 * params);
    }
  }

  @Test
  void theLineOfMethodsMdIsAmongTheFixtures() {
    // METHODS.md: Llama-2-7B, r 8 on q_proj and v_proj; the fixture script asserts the same.
    assertThat(cases().map(a -> ((JsonObject) a.get()[1]).get("line").getAsString()))
        .contains("trainable params: 4,194,304 || all params: 6,742,609,920 || trainable%: 0.0622");
  }

  private RunPlan plan(String model, String run) throws IOException {
    Path file = dir.resolve("run.conf");
    Files.writeString(file, "model.path = \"" + Fixtures.path("plan/" + model).toAbsolutePath().toString().replace("\\", "/") + "\"\n" + run + "\n");
    ValidationReport report = new Runs(dir).validate(file, List.of());
    assertThat(report.problems()).isEmpty();
    return Planner.plan(report, Runs.discovery());
  }
}
