package dev.peft4j.plugins.ia3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every snippet of docs/plugin-authors.md marked {@code <!-- from: FILE -->} is, verbatim, in that file of the repository. */
class PluginAuthorsDocTest {

  private static final Path REPOSITORY = Path.of("..", "..");
  private static final Pattern SNIPPET = Pattern.compile("<!-- from: (\\S+) -->\\R```\\w*\\R(.*?)\\R```", Pattern.DOTALL);

  @Test
  void theGuidesSnippetsAreCopiedFromTheIa3Plugin() throws IOException {
    String guide = Files.readString(REPOSITORY.resolve("docs/plugin-authors.md"));
    Matcher snippet = SNIPPET.matcher(guide);
    int checked = 0;
    while (snippet.find()) {
      Path source = REPOSITORY.resolve(snippet.group(1));
      assertThat(source).as("the file a snippet names").isRegularFile();
      assertThat(Files.readString(source).replace("\r\n", "\n")).as("%s holds the snippet", snippet.group(1))
          .contains(snippet.group(2).replace("\r\n", "\n"));
      checked++;
    }
    assertThat(checked).as("snippets checked").isGreaterThanOrEqualTo(12);
  }
}
