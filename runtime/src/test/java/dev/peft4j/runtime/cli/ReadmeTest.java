package dev.peft4j.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README shows what peft4j prints, verbatim: each block marked {@code <!-- verbatim: ARGS -->} is re-run here. */
class ReadmeTest {

  private static final Pattern BLOCK = Pattern.compile("<!-- verbatim: (.+?) -->\\R```text\\R(.*?)\\R```", Pattern.DOTALL);

  @Test
  void theValidationErrorsInTheReadmeAreWhatPeft4jPrints() throws IOException {
    dev.peft4j.runtime.testing.ExampleModel.ensure();
    String readme = Files.readString(Path.of("..", "README.md"));
    Matcher block = BLOCK.matcher(readme);
    int checked = 0;
    while (block.find()) {
      String[] args = block.group(1).replace("examples/", "../examples/").split(" ");
      StringWriter output = new StringWriter();
      PrintWriter writer = new PrintWriter(output, true);
      Main.run(writer, writer, args);
      assertThat(output.toString().replace("../examples/", "examples/").stripTrailing())
          .as("README block for `%s`", block.group(1))
          .isEqualTo(block.group(2).stripTrailing());
      checked++;
    }
    assertThat(checked).isGreaterThanOrEqualTo(2);
  }
}
