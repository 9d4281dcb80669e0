package dev.peft4j.runtime.data;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.peft4j.runtime.config.CoreSettings.DataFormat;
import dev.peft4j.runtime.testing.Fuzzing;
import java.nio.file.Path;

/**
 * Data files as the fuzzer writes them (any bytes: broken UTF-8, CRs, BOMs, JSON of every shape), read in each
 * format, stopping at the first bad line and skipping bad lines. The first byte chooses the format.
 */
class DataLineFuzzTest {

  private static final Path FOLDER = Fuzzing.folder("data");
  private static final DataFormat[] FORMATS = DataFormat.values();

  @FuzzTest(maxDuration = "4s")
  void fuzz(byte[] input) {
    fuzzerTestOneInput(input);
  }

  public static void fuzzerTestOneInput(byte[] input) {
    if (input.length == 0) {
      return;
    }
    DataFormat format = FORMATS[(input[0] & 0xff) % FORMATS.length];
    Path file = FOLDER.resolve("data.jsonl");
    Fuzzing.write(file, java.util.Arrays.copyOfRange(input, 1, input.length));
    for (boolean skip : new boolean[] {false, true}) {
      Fuzzing.expectWorksOrUserError(() -> {
        SampleFile read = DataReader.read(file, format, skip);
        read.badLines().firstReasons().forEach(Fuzzing::requireUserMessage);
      });
    }
  }
}
