package dev.peft4j.runtime.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peft4j.runtime.Peft4j;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code plan --fit} on Llama-2-7B's published config.json: what it proposes fits by its own plan. */
class FitSearchTest {

  private static final Path RUN = Path.of("..", "examples", "plan-llama-2-7b.conf");
  private final Peft4j peft4j = Peft4j.builder().build();

  private RunPlan plan(List<String> extra) {
    List<String> overrides = new ArrayList<>(List.of("training.batch-size=1"));
    overrides.addAll(extra);
    return peft4j.plan(RUN, overrides);
  }

  @Test
  void llama2LoraFitsTheIssuesBudgetsInBf16WithCheckpointing() {
    long bf16 = plan(List.of("training.precision=bf16", "training.gradient-checkpointing=true")).memory().orElseThrow().total();
    long nf4 = plan(List.of("training.precision=bf16", "training.gradient-checkpointing=true", "model.quantization=nf4"))
        .memory().orElseThrow().total();
    assertThat(bf16).isLessThanOrEqualTo(16L << 30);
    assertThat(nf4).isLessThanOrEqualTo(7L << 30);
  }

  @ParameterizedTest(name = "{0} GiB")
  @ValueSource(ints = {24, 8})
  void proposesSettingsWhoseOwnPlanFits(int gib) {
    long budget = (long) gib << 30;
    FitSearch.Result result = FitSearch.search(plan(List.of()), budget, peft4j.discovery(), this::plan);

    FitSearch.Candidate best = result.best().orElseThrow();
    assertThat(plan(best.overrides()).memory().orElseThrow().total()).isLessThanOrEqualTo(budget);
    assertThat(plan(best.overrides()).validation().valid()).isTrue();
    assertThat(result.candidates()).anySatisfy(c -> assertThat(c.fits()).isFalse()); // fp32 without checkpointing does not
    // nothing that fits is estimated faster than the proposal
    assertThat(result.candidates()).filteredOn(c -> c.fits() && c.valid())
        .allSatisfy(c -> assertThat(c.relativeTime()).isGreaterThanOrEqualTo(best.relativeTime()));
    assertThat(FitSearch.render(result)).contains("fit in " + gib + ".00 GiB: the fastest settings that fit are ",
        "--set training.precision=", "does not fit", "the plan with those settings:");
  }

  @Test
  void aFourBitBaseIsProposedWithDoubleQuantizedScalesWhichTakeLessMemoryInTheSameTime() {
    FitSearch.Result result = FitSearch.search(plan(List.of()), 8L << 30, peft4j.discovery(), this::plan);

    FitSearch.Candidate best = result.best().orElseThrow();
    assertThat(best.overrides()).contains("model.quantization=nf4", "model.double-quantization=true");
    List<String> fp32Scales = best.overrides().stream().filter(o -> !o.startsWith("model.double-quantization")).toList();
    FitSearch.Candidate without = result.candidates().stream().filter(c -> c.overrides().equals(fp32Scales))
        .findFirst().orElseThrow();
    assertThat(without.relativeTime()).isEqualTo(best.relativeTime());
    assertThat(without.total()).isGreaterThan(best.total());
    assertThat(best.description()).endsWith(", 4-bit base, double-quantized scales");
    // only a 4-bit base is double-quantized
    assertThat(result.candidates()).filteredOn(c -> !c.overrides().contains("model.quantization=nf4"))
        .allSatisfy(c -> assertThat(c.overrides()).doesNotContain("model.double-quantization=true"));
  }

  @Test
  void aRunWithAFourBitBaseOfItsOwnIsOfferedItsDoubleQuantization() {
    List<String> nf4 = List.of("model.quantization=nf4");
    FitSearch.Result result = FitSearch.search(plan(nf4), 8L << 30, peft4j.discovery(), extra -> {
      List<String> overrides = new ArrayList<>(nf4);
      overrides.addAll(extra);
      return plan(overrides);
    });

    assertThat(result.candidates()).noneSatisfy(c -> assertThat(c.overrides()).contains("model.quantization=nf4"));
    assertThat(result.candidates()).filteredOn(c -> c.overrides().contains("model.double-quantization=true"))
        .hasSize(result.candidates().size() / 2);
  }

  @Test
  void sizesAreReadAsPeopleWriteThem() {
    assertThat(FitSearch.parseSize("24GiB")).isEqualTo(24L << 30);
    assertThat(FitSearch.parseSize("8 GB")).isEqualTo(8L << 30);
    assertThat(FitSearch.parseSize("512MiB")).isEqualTo(512L << 20);
    assertThat(FitSearch.parseSize("1.5tib")).isEqualTo(3L << 39);
    assertThat(FitSearch.parseSize("1000")).isEqualTo(1000);
    assertThatThrownBy(() -> FitSearch.parseSize("lots")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("24GiB");
  }
}
