package dev.peft4j.runtime.train;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The loss curve of a run (training and evaluation loss by step) as a PNG, drawn with XChart. */
public final class LossPlot {

  private LossPlot() {}

  /** Draws {@code png} from the lines of {@code metrics.jsonl}; written atomically. */
  public static void write(Path metrics, Path png, String title) throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<Double> steps = new ArrayList<>();
    List<Double> losses = new ArrayList<>();
    List<Double> evalSteps = new ArrayList<>();
    List<Double> evalLosses = new ArrayList<>();
    for (JsonObject line : MetricsLog.read(metrics)) {
      if (line.has("loss") && !line.get("loss").isJsonNull()) {
        steps.add(line.get("step").getAsDouble());
        losses.add(line.get("loss").getAsDouble());
      }
      if (line.has("eval_loss") && !line.get("eval_loss").isJsonNull()) {
        evalSteps.add(line.get("step").getAsDouble());
        evalLosses.add(line.get("eval_loss").getAsDouble());
      }
    }
    XYChart chart = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle("step").yAxisTitle("loss").build();
    if (!steps.isEmpty()) {
      chart.addSeries("train", steps, losses).setMarker(SeriesMarkers.NONE);
    }
    if (!evalSteps.isEmpty()) {
      chart.addSeries("eval", evalSteps, evalLosses);
    }
    Path temporary = png.resolveSibling(png.getFileName() + ".tmp.png");
    BitmapEncoder.saveBitmap(chart, temporary.toString(), BitmapEncoder.BitmapFormat.PNG);
    Files.move(temporary, png, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
