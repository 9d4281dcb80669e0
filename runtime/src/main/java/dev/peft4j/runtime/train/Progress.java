package dev.peft4j.runtime.train;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * The run on the console: a progress bar redrawn in place on a terminal, plain lines at the logged steps otherwise
 * (logs, CI); evaluations, checkpoints and notices on lines of their own.
 */
public final class Progress implements TrainingListener {

  private final PrintWriter out;
  private final boolean terminal;
  private long total;
  private long started = System.nanoTime();
  private long first;

  /** @param terminal whether {@code out} is a terminal (a redrawn bar) or a log (plain lines) */
  public Progress(PrintWriter out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  @Override
  public void onBegin(long step, long totalSteps) {
    total = totalSteps;
    first = step;
    started = System.nanoTime();
  }

  @Override
  public void onStep(StepEvent event) {
    long step = event.step();
    String stats = String.format(Locale.ROOT, "loss %.4f  lr %.2e  %.0f tok/s", event.loss(), event.learningRate(),
        event.tokensPerSecond());
    if (terminal) {
      out.print("\r" + bar(step, total) + "  " + stats + "  " + eta(step) + "   ");
      if (event.last()) {
        out.println();
      }
    } else if (event.logged()) {
      out.println("step " + step + "/" + total + "  " + stats);
    }
    out.flush();
  }

  @Override
  public void onEvaluation(Evaluation evaluation) {
    onNotice(String.format(Locale.ROOT, "step %d: eval loss %.4f, perplexity %.2f", evaluation.step(),
        evaluation.loss(), evaluation.perplexity()));
  }

  @Override
  public void onCheckpoint(Checkpoint checkpoint) {
    onNotice("step " + checkpoint.step() + ": checkpoint " + checkpoint.folder());
  }

  /** A message on a line of its own, not inside the bar. */
  @Override
  public void onNotice(String text) {
    out.println((terminal ? "\r" : "") + text);
    out.flush();
  }

  /** {@code [#####     ] 5/10}: the bar redrawn in place on a terminal, for training steps and evaluated prompts. */
  public static String bar(long done, long total) {
    int width = 30;
    int filled = (int) (width * Math.min(done, total) / Math.max(1, total));
    return "[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + done + "/" + total;
  }

  private String eta(long step) {
    if (step <= first) {
      return "";
    }
    double seconds = (System.nanoTime() - started) / 1e9 / (step - first) * (total - step);
    return String.format(Locale.ROOT, "eta %dm%02ds", (long) seconds / 60, (long) seconds % 60);
  }
}
