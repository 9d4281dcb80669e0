package dev.peft4j.runtime.plan;

import dev.peft4j.api.MethodCapability;
import dev.peft4j.runtime.config.CoreSettings;
import dev.peft4j.runtime.nn.Bf16Support;
import dev.peft4j.runtime.plugin.Discovery;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * {@code peft4j plan --fit BUDGET}: the settings under which a run fits in a memory budget. It plans the run again
 * for every combination of precision (fp32, bf16), gradient checkpointing, a 4-bit base (when an adapter of the run
 * supports one and the run does not already set it), double quantization of a 4-bit base's scales (unless the run
 * sets it) and a smaller micro-batch with more accumulation for the same effective batch, keeps those whose plan fits
 * and whose rules hold, and ranks them by a rough model of step time, then by memory: gradient checkpointing costs a
 * third more compute (a second forward pass), a 4-bit base 39 % more (QLoRA against 16-bit LoRA, the seed
 * document's 7B figures), double quantization nothing measurable (its scales are a 64th of the weight: peft4j's
 * dequantization of a 4096 × 4096 layer took as long with it as without, within 7 %), bf16 on a device that computes
 * it natively half the time of fp32 and twice it where it is emulated, and each halving of the micro-batch 5 %
 * (smaller matrix products).
 */
public final class FitSearch {

  /** One combination of settings and its plan. */
  public record Candidate(List<String> overrides, String description, RunPlan plan, long total, boolean fits,
      boolean valid, double relativeTime) {}

  /** What the search found: every candidate, best first; the best is the first that fits and may run. */
  public record Result(long budget, List<Candidate> candidates) {
    public java.util.Optional<Candidate> best() {
      return candidates.stream().filter(c -> c.fits() && c.valid()).findFirst();
    }
  }

  private FitSearch() {}

  /**
   * @param base the run as configured (its plan)
   * @param plan plans the run with extra {@code key=value} overrides
   */
  public static Result search(RunPlan base, long budget, Discovery discovery, Function<List<String>, RunPlan> plan) {
    CoreSettings core = base.validation().core();
    boolean nativeBf16 = Bf16Support.detect().nativeBf16();
    boolean quantizable = core.model().quantization() == CoreSettings.Quantization.NONE
        && base.validation().settings().keySet().stream()
            .anyMatch(id -> discovery.methods().get(id).descriptor().capabilities().contains(MethodCapability.QUANTIZED_BASE));
    boolean configuredNf4 = core.model().quantization() == CoreSettings.Quantization.NF4;
    int batch = core.training().batchSize();
    int accumulation = core.training().gradientAccumulationSteps();
    List<Candidate> candidates = new ArrayList<>();
    for (String precision : List.of("bf16", "fp32")) {
      for (boolean checkpointing : List.of(false, true)) {
        for (boolean nf4 : quantizable ? List.of(false, true) : List.of(false)) {
          boolean doubleQuantizable = (nf4 || configuredNf4) && !core.model().doubleQuantization();
          for (boolean doubleQuantization : doubleQuantizable ? List.of(false, true) : List.of(false)) {
            for (int micro = batch; micro >= 1; micro = micro == 1 ? 0 : (micro + 1) / 2) {
              if (batch % micro != 0) {
                continue;
              }
              int steps = accumulation * (batch / micro);
              List<String> overrides = new ArrayList<>(List.of("training.precision=" + precision,
                  "training.gradient-checkpointing=" + checkpointing, "training.batch-size=" + micro,
                  "training.gradient-accumulation-steps=" + steps));
              if (nf4) {
                overrides.add("model.quantization=nf4");
              }
              if (doubleQuantization) {
                overrides.add("model.double-quantization=true");
              }
              RunPlan planned = plan.apply(overrides);
              long total = planned.memory().map(MemoryEstimate::total).orElse(Long.MAX_VALUE);
              double time = (checkpointing ? 4.0 / 3 : 1) * (nf4 ? 1.39 : 1)
                  * (precision.equals("bf16") ? (nativeBf16 ? 0.5 : 2) : 1)
                  * Math.pow(1.05, Math.log((double) batch / micro) / Math.log(2));
              String description = String.format(Locale.ROOT, "%s, %s, batch %d × accumulation %d%s%s", precision,
                  checkpointing ? "gradient checkpointing" : "no checkpointing", micro, steps,
                  nf4 ? ", 4-bit base" : "", doubleQuantization ? ", double-quantized scales" : "");
              candidates.add(new Candidate(overrides, description, planned, total, total <= budget,
                  planned.validation().valid(), time));
            }
          }
        }
      }
    }
    candidates.sort(Comparator.comparing((Candidate c) -> !(c.fits() && c.valid()))
        .thenComparingDouble(Candidate::relativeTime).thenComparingLong(Candidate::total));
    return new Result(budget, List.copyOf(candidates));
  }

  /**
   * A size as a person writes it: {@code 24GiB}, {@code 8 GB}, {@code 512MiB}, {@code 1.5TiB}, or bytes. GB and GiB
   * alike mean 2^30 bytes, as memory is sold in powers of two.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static long parseSize(String text) {
    String t = text.trim().toUpperCase(Locale.ROOT).replace(" ", "");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(B|KB|KIB|MB|MIB|GB|GIB|TB|TIB)?").matcher(t);
    if (!m.matches()) {
      throw new IllegalArgumentException("\"" + text + "\" is not a size: write it as 24GiB, 8GB, 512MiB or a number of bytes");
    }
    double value = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2);
    int shift = switch (unit.charAt(0)) {
      case 'K' -> 10;
      case 'M' -> 20;
      case 'G' -> 30;
      case 'T' -> 40;
      default -> 0;
    };
    double bytes = value * Math.pow(2, shift);
    if (bytes < 1 || bytes > Long.MAX_VALUE / 2) {
      throw new IllegalArgumentException("\"" + text + "\" is not a memory budget peft4j can plan for");
    }
    return (long) bytes;
  }

  /** The search as text: the best plan's settings and why each other candidate is ranked lower or does not fit. */
  public static String render(Result result) {
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "fit in %s: %s", PlanText.human(result.budget()), result.best()
        .map(best -> "the fastest settings that fit are " + best.description())
        .orElse("no combination of precision, checkpointing, 4-bit base, double quantization and micro-batch fits")));
    result.best().ifPresent(best -> lines.add("  use: " + String.join(" ", best.overrides().stream()
        .map(o -> "--set " + o).toList())));
    lines.add("");
    lines.add("every combination, best first (relative step time: a rough model, see peft4j plan --help):");
    for (Candidate c : result.candidates()) {
      String verdict = !c.valid() ? "breaks a rule" : c.fits() ? "fits" : "does not fit";
      lines.add(String.format(Locale.ROOT, "  %-13s %11s  time ×%.2f  %s", verdict, PlanText.human(c.total()),
          c.relativeTime(), c.description()));
    }
    result.best().ifPresent(best -> {
      lines.add("");
      lines.add("the plan with those settings:");
      lines.add(PlanText.render(best.plan()).stripTrailing());
    });
    return String.join(System.lineSeparator(), lines) + System.lineSeparator();
  }
}
