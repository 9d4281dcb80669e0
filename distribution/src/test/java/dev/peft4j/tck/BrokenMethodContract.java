package dev.peft4j.tck;

import java.nio.file.Path;

/** The kit on the plugin of {@code broken.BrokenProvider}, from the plugin folder KitSelfTest makes; run by KitSelfTest only. */
public class BrokenMethodContract extends MethodContract {

  static Path pluginFolder;

  @Override
  protected MethodUnderTest method() {
    return MethodUnderTest.method("broken")
        .pluginFolder(pluginFolder)
        .promises(Promise.UNCHANGED_OUTPUT_AT_INIT)
        .breaks("not-with-selector", "methods = [broken, full]");
  }
}
