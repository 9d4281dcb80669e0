package dev.peft4j.runtime.plan;

import dev.peft4j.api.config.ConfigurationException;
import dev.peft4j.api.rules.Violation;
import dev.peft4j.runtime.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code peft4j plan}'s report as text. */
public final class PlanText {

  private PlanText() {}

  public static String render(RunPlan plan) {
    List<String> lines = new ArrayList<>();
    ModelConfig c = plan.config();
    lines.add("plan for " + plan.validation().run().displayName() + " (from config.json alone; no weights loaded)");
    lines.add(String.format(Locale.ROOT, "model: %s — %s, %d layers, hidden %d, intermediate %d, %d heads (%d key/value) "
            + "of %d, vocabulary %,d, %s%s%s",
        shown(plan.configFile()), c.modelType(), c.numLayers(), c.hiddenSize(), c.intermediateSize(), c.numHeads(),
        c.numKvHeads(), c.headDim(), c.vocabSize(), c.tieWordEmbeddings() ? "tied embeddings" : "untied head",
        c.features(),
        nf4(plan.validation().core().model())));
    lines.add("methods: " + String.join(", ", plan.methods().stream().map(RunPlan.MethodPlanned::id).toList()));
    for (RunPlan.MethodPlanned method : plan.methods()) {
      for (String note : method.notes()) {
        lines.add("  " + method.id() + ": " + note);
      }
    }
    lines.add("");
    if (!plan.priced()) {
      lines.add("trainable parameters and memory: not priced, because "
          + String.join(", ", plan.methods().stream().filter(m -> !m.priced()).map(RunPlan.MethodPlanned::id).toList())
          + " cannot be priced");
    } else {
      lines.add(plan.counts().get().peftLine());
      lines.add("");
      Workload w = plan.workload();
      MemoryEstimate m = plan.memory().get();
      lines.add(String.format(Locale.ROOT, "memory at the peak of a training step (%s%s; %d × %d tokens, training.batch-size × "
          + "data.cutoff-len; gradient accumulation %d):", w.precision().name().toLowerCase(Locale.ROOT),
          w.checkpointing() ? ", gradient checkpointing" : "", w.batch(), w.length(), w.accumulation()));
      row(lines, "weights", m.weights(), "");
      row(lines, "gradients", m.gradients(), "");
      row(lines, "optimizer state", m.optimizerState(), "");
      row(lines, "activations", m.activations(), w.checkpointing()
          ? "one micro-batch's layer inputs, and one layer's activations recomputed" : "what one micro-batch's forward pass saves for its backward pass");
      row(lines, "step scratch", m.stepScratch(), "backward transients, or the update's beyond the freed activations");
      row(lines, "runtime", m.runtime(), "JVM, libtorch, tokenizer, data, plot; what grows with the batch (fitted)");
      row(lines, "total", m.total(), "estimated peak RSS of peft4j train");
    }
    lines.add("");
    lines.addAll(ruleCheck(plan));
    return String.join(System.lineSeparator(), lines) + System.lineSeparator();
  }

  /** What the model line says of a 4-bit base, or nothing. */
  private static String nf4(dev.peft4j.runtime.config.CoreSettings.Model model) {
    if (model.quantization() != dev.peft4j.runtime.config.CoreSettings.Quantization.NF4) {
      return "";
    }
    return ", 4-bit (NF4) decoder weights" + (model.doubleQuantization()
        ? ", block scales double-quantized (4.127 bits a weight)" : " (4.5 bits a weight)");
  }

  /** A path inside the working folder relative to it (as the user typed it, usually), any other as it is. */
  static String shown(java.nio.file.Path path) {
    java.nio.file.Path here = java.nio.file.Path.of("").toAbsolutePath();
    java.nio.file.Path absolute = path.toAbsolutePath().normalize();
    return absolute.startsWith(here) ? here.relativize(absolute).toString() : path.toString();
  }

  private static void row(List<String> lines, String what, long bytes, String comment) {
    lines.add(String.format(Locale.ROOT, "  %-16s %,20d B  %10s%s", what, bytes, human(bytes),
        comment.isEmpty() ? "" : "  " + comment));
  }

  /** Bytes in MiB below a GiB, GiB above. */
  static String human(long bytes) {
    double mib = bytes / (1024.0 * 1024.0);
    return mib < 1024 ? String.format(Locale.ROOT, "%.1f MiB", mib) : String.format(Locale.ROOT, "%.2f GiB", mib / 1024);
  }

  /** The rule check as {@code validate} prints it: warnings, then the errors that stop the run. */
  static List<String> ruleCheck(RunPlan plan) {
    List<String> lines = new ArrayList<>();
    List<Violation> warnings = plan.validation().warnings();
    List<Violation> errors = plan.validation().errors();
    lines.add("rule check: " + (errors.isEmpty() ? "the run can start" : "the run cannot start")
        + (warnings.isEmpty() ? "" : " (" + warnings.size() + (warnings.size() == 1 ? " warning" : " warnings") + ")"));
    for (Violation warning : warnings) {
      lines.add("warning: " + warning);
    }
    if (!errors.isEmpty()) {
      lines.add("error: " + new ConfigurationException(List.of(), errors).getMessage());
    }
    return lines;
  }
}
