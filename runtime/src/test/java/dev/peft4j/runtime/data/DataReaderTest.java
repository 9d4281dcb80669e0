package dev.peft4j.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peft4j.runtime.config.CoreSettings.DataFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DataReaderTest {

  @TempDir
  Path dir;

  private Path file(String... lines) throws Exception {
    Path file = dir.resolve("data.jsonl");
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }

  private static Conversation conversation(SampleFile read, int index) {
    return (Conversation) read.samples().get(index);
  }

  @Test
  void readsAlpacaWithInputSystemAndHistory() throws Exception {
    SampleFile read = DataReader.read(file(
        "{\"instruction\": \"Add\", \"input\": \"2 + 2\", \"output\": \"4\"}",
        "",
        "{\"instruction\": \"Hi\", \"output\": \"Hello\", \"system\": \"Be brief.\", \"history\": [[\"a\", \"b\"]]}",
        "{\"instruction\": \"\", \"input\": \"only input\", \"output\": \"x\", \"input2\": 5}"), DataFormat.ALPACA, false);

    assertThat(read.lines()).extracting(DataLine::number).containsExactly(1, 3, 4);
    assertThat(conversation(read, 0).turns()).containsExactly(Turn.user("Add\n2 + 2"), Turn.assistant("4"));
    assertThat(conversation(read, 1).turns()).containsExactly(
        Turn.system("Be brief."), Turn.user("a"), Turn.assistant("b"), Turn.user("Hi"), Turn.assistant("Hello"));
    assertThat(conversation(read, 2).turns()).containsExactly(Turn.user("only input"), Turn.assistant("x"));
    assertThat(read.badLines()).isEqualTo(BadLines.NONE);
  }

  @Test
  void readsShareGptAndOpenAiStyleConversations() throws Exception {
    SampleFile read = DataReader.read(file(
        "{\"conversations\": [{\"from\": \"system\", \"value\": \"S\"}, {\"from\": \"human\", \"value\": \"Q\"},"
            + " {\"from\": \"gpt\", \"value\": \"A\"}]}",
        "{\"system\": \"S2\", \"conversations\": [{\"from\": \"human\", \"value\": \"Q\"}, {\"from\": \"gpt\", \"value\": \"A\"}]}",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"Q1\"}, {\"role\": \"assistant\", \"content\": \"A1\"},"
            + " {\"role\": \"user\", \"content\": \"Q2\"}, {\"role\": \"assistant\", \"content\": \"A2\"}]}"),
        DataFormat.SHAREGPT, false);

    assertThat(conversation(read, 0).turns()).containsExactly(Turn.system("S"), Turn.user("Q"), Turn.assistant("A"));
    assertThat(conversation(read, 1).system()).hasValue("S2");
    assertThat(conversation(read, 2).turns()).hasSize(4);
    assertThat(conversation(read, 2).answer()).isEqualTo("A2");
    assertThat(conversation(read, 2).prompt()).hasSize(3);
  }

  @Test
  void readsTexts() throws Exception {
    SampleFile read = DataReader.read(file("{\"text\": \"Once upon a time\"}"), DataFormat.TEXT, false);

    assertThat(read.samples()).containsExactly(new PlainText("Once upon a time"));
  }

  @Test
  void reportsTheFileAndLineOfABadLine() throws Exception {
    Path file = file("{\"instruction\": \"a\", \"output\": \"b\"}", "{\"instruction\": \"a\", \"output\": ");

    assertThatThrownBy(() -> DataReader.read(file, DataFormat.ALPACA, false))
        .isInstanceOf(DataException.class)
        .hasMessageStartingWith(file + ":2: not valid JSON")
        .hasMessageContaining("set data.skip-bad-lines = true");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      not json at all                                                  | not valid JSON
      {'instruction': 'single quotes', 'output': 'x'}                  | not valid JSON
      {"instruction": "a", "output": "b"} trailing                     | not valid JSON
      [1, 2]                                                           | expected a JSON object, got a list
      {"output": "b"}                                                  | "instruction" is missing
      {"instruction": "a", "output": 42}                               | "output" must be a string, got the number 42
      {"instruction": "a", "output": "  "}                             | "output" is empty
      {"instruction": "", "input": "", "output": "b"}                  | "instruction" and "input" are both empty
      {"instruction": "a", "output": "b", "history": [["q"]]}          | "history"[0] must be a pair of strings
      """)
  void saysWhatIsWrongWithABadAlpacaLine(String line, String reason) throws Exception {
    Path file = file(line.strip());

    assertThatThrownBy(() -> DataReader.read(file, DataFormat.ALPACA, false))
        .isInstanceOf(DataException.class).hasMessageStartingWith(file + ":1: " + reason);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      {"conversations": []}                                                                   | "conversations" is empty
      {"chat": []}                                                                            | "conversations" (ShareGPT) or "messages" (OpenAI style) is missing
      {"conversations": [{"from": "gpt", "value": "A"}]}                                      | turn 1 is assistant but user was expected
      {"conversations": [{"from": "human", "value": "Q"}]}                                    | the conversation ends with a user turn
      {"conversations": [{"from": "human", "value": "Q"}, {"from": "human", "value": "Q"}]}   | turn 2 is user but assistant was expected
      {"conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}, {"from": "system", "value": "S"}]} | turn 3 is a system turn
      {"conversations": [{"from": "system", "value": "S"}]}                                   | the conversation has only a system turn
      {"conversations": [{"from": "robot", "value": "Q"}]}                                    | "conversations"[0]: unknown from "robot": expected human, gpt, system
      {"conversations": [{"from": "observation", "value": "Q"}]}                              | "conversations"[0]: tool turns ("observation") are not supported yet
      {"conversations": [{"from": "human", "value": 3}]}                                      | "conversations"[0].value must be a string, got the number 3
      {"conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": ""}]}     | "conversations"[1] is an empty assistant turn
      {"messages": [{"role": "human", "content": "Q"}]}                                       | "messages"[0]: unknown role "human": expected user, assistant, system
      {"messages": "hello"}                                                                   | "messages" must be a list of turns, got a string
      {"system": "S", "messages": [{"role": "system", "content": "S"}]}                       | "messages"[0] is a system turn, and the line has a "system" field too
      """)
  void saysWhatIsWrongWithABadConversation(String line, String reason) throws Exception {
    Path file = file(line.strip());

    assertThatThrownBy(() -> DataReader.read(file, DataFormat.SHAREGPT, false))
        .isInstanceOf(DataException.class).hasMessageStartingWith(file + ":1: " + reason);
  }

  @Test
  void aTextLineNeedsText() throws Exception {
    Path file = file("{\"text\": \"\"}");

    assertThatThrownBy(() -> DataReader.read(file, DataFormat.TEXT, false))
        .isInstanceOf(DataException.class).hasMessageStartingWith(file + ":1: \"text\" is empty");
  }

  @Test
  void skipsAndCountsBadLinesWhenAsked() throws Exception {
    Path file = file(
        "{\"instruction\": \"a\", \"output\": \"b\"}",
        "oops 1", "oops 2", "oops 3", "oops 4", "oops 5", "oops 6",
        "{\"instruction\": \"c\", \"output\": \"d\"}");

    SampleFile read = DataReader.read(file, DataFormat.ALPACA, true);

    assertThat(read.samples()).hasSize(2);
    assertThat(read.badLines().count()).isEqualTo(6);
    assertThat(read.badLines().firstReasons()).hasSize(BadLines.KEPT_REASONS)
        .first().asString().startsWith(file + ":2: not valid JSON");
    assertThat(read.badLines().summary()).startsWith("6 bad lines skipped:\n  " + file + ":2:").endsWith("… and 1 more");
  }

  @Test
  void aFileWithoutAGoodLineIsAnError() throws Exception {
    Path empty = file("");
    assertThatThrownBy(() -> DataReader.read(empty, DataFormat.ALPACA, true))
        .isInstanceOf(DataException.class).hasMessageContaining("has no alpaca examples: the file is empty");

    Path bad = file("x");
    assertThatThrownBy(() -> DataReader.read(bad, DataFormat.ALPACA, true))
        .isInstanceOf(DataException.class).hasMessageContaining("all 1 lines are bad; the first: " + bad + ":1:");
  }

  @Test
  void aMissingFileOrOneThatIsNotUtf8IsNamed() throws Exception {
    Path missing = dir.resolve("nope.jsonl");
    assertThatThrownBy(() -> DataReader.read(missing, DataFormat.ALPACA, false))
        .isInstanceOf(DataException.class).hasMessageContaining(missing + " does not exist");

    Path latin1 = dir.resolve("latin1.jsonl");
    Files.write(latin1, "{\"instruction\": \"caf\u00e9\", \"output\": \"x\"}\n".getBytes(StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> DataReader.read(latin1, DataFormat.ALPACA, false))
        .isInstanceOf(DataException.class).hasMessageContaining(latin1 + ":1: not UTF-8 text");
  }

  @Test
  void ignoresAByteOrderMark() throws Exception {
    Path file = dir.resolve("bom.jsonl");
    Files.writeString(file, "\uFEFF{\"text\": \"t\"}\n");

    assertThat(DataReader.read(file, DataFormat.TEXT, false).samples()).containsExactly(new PlainText("t"));
  }

  @Test
  void failure7_invalidUtf8IsReportedAtItsRealLineAndCanBeSkipped() throws Exception {
    Path file = dir.resolve("latin1.jsonl");
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    for (int line = 1; line <= 40; line++) {
      bytes.write(("{\"text\": \"line " + line + " " + "x".repeat(600) + "\"}\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      if (line == 16) {
        // Line 17: "café" in Latin-1, as an editor saving in the wrong encoding writes it.
        bytes.write("{\"text\": \"caf".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        bytes.write(0xe9);
        bytes.write("\"}\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        line++;
      }
    }
    Files.write(file, bytes.toByteArray());

    assertThatThrownBy(() -> DataReader.read(file, DataFormat.TEXT, false)).isInstanceOf(DataException.class)
        .hasMessageContaining(file + ":17: not UTF-8 text: byte 14 of the line (0xe9)")
        .hasMessageContaining("data.skip-bad-lines");

    SampleFile read = DataReader.read(file, DataFormat.TEXT, true);
    assertThat(read.badLines().count()).isEqualTo(1);
    assertThat(read.badLines().firstReasons()).singleElement().asString().startsWith(file + ":17: not UTF-8");
    assertThat(read.lines()).extracting(DataLine::number).hasSize(39).contains(16, 18).doesNotContain(17);
  }

  @Test
  void linesEndAtNewlinesCarriageReturnsOrBoth() throws Exception {
    Path file = dir.resolve("endings.jsonl");
    Files.writeString(file, "{\"text\": \"a\"}\r\n{\"text\": \"b\"}\r{\"text\": \"c\"}\n\n{\"text\": \"d\"}");

    SampleFile read = DataReader.read(file, DataFormat.TEXT, false);

    assertThat(read.lines()).extracting(DataLine::number).containsExactly(1, 2, 3, 5);
    assertThat(read.samples()).containsExactly(new PlainText("a"), new PlainText("b"), new PlainText("c"), new PlainText("d"));
  }
}
