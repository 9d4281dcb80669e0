package dev.peft4j.runtime.testing;

import dev.peft4j.runtime.model.ModelInit;
import dev.peft4j.runtime.model.ModelSizes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The tiny model the shipped examples name ({@code runs/models/tiny}), made as bin/demo makes it. */
public final class ExampleModel {

  private ExampleModel() {}

  /** Creates {@code <repo>/runs/models/tiny} if it is not there (runs/ is not in git). */
  public static synchronized Path ensure() {
    Path folder = Path.of("..", "runs", "models", "tiny").toAbsolutePath().normalize();
    if (!Files.isRegularFile(folder.resolve("model.safetensors"))) {
      ModelInit.write(folder, Optional.of(ModelSizes.TINY), Optional.empty(), 42);
    }
    return folder;
  }
}
