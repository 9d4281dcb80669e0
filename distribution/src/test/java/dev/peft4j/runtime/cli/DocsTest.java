package dev.peft4j.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The docs show what peft4j prints, verbatim. A {@code ```text} block is program output, and only that: each is marked
 * {@code <!-- verbatim: ARGS -->} (peft4j run with ARGS from the repository's root; this test runs it and compares) or
 * {@code <!-- verbatim-in: TestClass -->} (a test elsewhere that reads the block and checks it).
 */
public class DocsTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern TEXT_BLOCK = Pattern.compile("(?m)^```text\\R(.*?)\\R```", Pattern.DOTALL);
  private static final Pattern MARKER = Pattern.compile("<!-- verbatim(-in)?: (.+?) -->\\s*$");

  /**
   * With {@code -Dpeft4j.docs.regenerate=true} the {@code verbatim: ARGS} blocks are written anew with what peft4j
   * prints (review the diff: the test then compares the docs with themselves).
   */
  private static final boolean REGENERATE = Boolean.getBoolean("peft4j.docs.regenerate");

  /**
   * A {@code ```text} block of a Markdown file (its text from {@code start} to {@code end}), with the marker line
   * before it (or an empty string).
   */
  record Block(Path file, int line, String marker, String text, int start, int end) {}

  static List<Path> markdown() throws IOException {
    List<Path> files = new ArrayList<>(List.of(ROOT.resolve("README.md"), ROOT.resolve("bench/README.md")));
    try (Stream<Path> docs = Files.walk(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    }
    return files;
  }

  static List<Block> blocks(Path file) throws IOException {
    String text = Files.readString(file);
    List<Block> blocks = new ArrayList<>();
    Matcher block = TEXT_BLOCK.matcher(text);
    while (block.find()) {
      String before = text.substring(0, block.start()).stripTrailing();
      String marker = before.substring(before.lastIndexOf('\n') + 1);
      int line = (int) text.substring(0, block.start()).chars().filter(c -> c == '\n').count() + 1;
      blocks.add(new Block(file, line, marker, block.group(1), block.start(1), block.end(1)));
    }
    return blocks;
  }

  /** The text of the block marked {@code <!-- verbatim-in: testClass -->} in {@code file} (for that test). */
  public static String blockCheckedBy(Path file, String testClass) throws IOException {
    return blocks(file).stream().filter(b -> b.marker().equals("<!-- verbatim-in: " + testClass + " -->"))
        .map(Block::text).findFirst().orElseThrow(() -> new AssertionError(file + " has no block for " + testClass));
  }

  @Test
  void everyOutputBlockIsMarkedAndWhatPeft4jPrints() throws IOException {
    dev.peft4j.runtime.testing.ExampleModel.ensure();
    int run = 0;
    int elsewhere = 0;
    for (Path file : markdown()) {
      StringBuilder regenerated = new StringBuilder(Files.readString(file));
      List<Block> blocks = blocks(file);
      for (int i = blocks.size() - 1; i >= 0; i--) { // from the end, so that a regenerated block moves no other
        Block block = blocks.get(i);
        String where = ROOT.relativize(file) + ":" + block.line();
        Matcher marker = MARKER.matcher(block.marker());
        assertThat(marker.matches()).as("%s: a ```text block is program output and needs a <!-- verbatim: ARGS --> or "
            + "<!-- verbatim-in: TestClass --> line before it (use another fence for anything else)", where).isTrue();
        if (marker.group(1) != null) {
          assertThat(testSources(marker.group(2))).as("%s: the test %s that checks it", where, marker.group(2))
              .isNotEmpty().allSatisfy(source -> assertThat(Files.readString(source))
                  .contains(file.getFileName().toString()));
          elsewhere++;
          continue;
        }
        String[] args = marker.group(2).replace("examples/", "../examples/").split(" ");
        StringWriter output = new StringWriter();
        PrintWriter writer = new PrintWriter(output, true);
        Main.run(writer, writer, args);
        String printed = output.toString().replace(ROOT + java.io.File.separator, "").replace("../examples/", "examples/")
            .stripTrailing();
        if (REGENERATE) {
          regenerated.replace(block.start(), block.end(), printed);
        } else {
          assertThat(printed).as("%s: the block for `peft4j %s`", where, marker.group(2))
              .isEqualTo(block.text().stripTrailing());
        }
        run++;
      }
      if (REGENERATE) {
        Files.writeString(file, regenerated);
      }
    }
    assertThat(run).as("blocks run").isGreaterThanOrEqualTo(4);
    assertThat(elsewhere).as("blocks checked by other tests").isGreaterThanOrEqualTo(1);
  }

  /** The sources of {@code testClass} in any module's tests ({@code MODULE/src/test/java} or {@code plugins/MODULE/...}). */
  private static List<Path> testSources(String testClass) throws IOException {
    List<Path> found = new ArrayList<>();
    for (Path modules : List.of(ROOT, ROOT.resolve("plugins"))) {
      try (Stream<Path> children = Files.list(modules)) {
        for (Path tests : children.map(m -> m.resolve("src/test/java")).filter(Files::isDirectory).toList()) {
          try (Stream<Path> files = Files.walk(tests)) {
            files.filter(f -> f.getFileName().toString().equals(testClass + ".java")).forEach(found::add);
          }
        }
      }
    }
    return found;
  }
}
