package dev.peft4j.runtime.train;

import java.io.PrintWriter;
import java.util.Locale;

/** A progress bar redrawn in place on a terminal; plain lines every few steps otherwise (logs, CI). */
final class Progress {

  private final PrintWriter out;
  private final boolean terminal;
  private final long total;
  private final int every;
  private final long started = System.nanoTime();

  Progress(PrintWriter out, boolean terminal, long total, int every) {
    this.out = out;
    this.terminal = terminal;
    this.total = total;
    this.every = every;
  }

  void step(long step, double loss, double learningRate, double tokensPerSecond) {
    String stats = String.format(Locale.ROOT, "loss %.4f  lr %.2e  %.0f tok/s", loss, learningRate, tokensPerSecond);
    if (terminal) {
      int width = 30;
      int done = (int) (width * step / Math.max(1, total));
      out.print("\r[" + "#".repeat(done) + " ".repeat(width - done) + "] " + step + "/" + total + "  " + stats
          + "  " + eta(step) + "   ");
      if (step == total) {
        out.println();
      }
    } else if (step % every == 0 || step == total) {
      out.println("step " + step + "/" + total + "  " + stats);
    }
    out.flush();
  }

  /** A message on a line of its own, not inside the bar. */
  void line(String text) {
    out.println((terminal ? "\r" : "") + text);
    out.flush();
  }

  private String eta(long step) {
    if (step == 0) {
      return "";
    }
    double seconds = (System.nanoTime() - started) / 1e9 / step * (total - step);
    return String.format(Locale.ROOT, "eta %dm%02ds", (long) seconds / 60, (long) seconds % 60);
  }
}
