package dev.peft4j.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peft4j.runtime.config.CoreSettings.Columns;
import dev.peft4j.runtime.config.CoreSettings.DataFormat;
import dev.peft4j.runtime.config.CoreSettings.Tags;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LLaMA-Factory's .json data sets: one JSON array of objects, each element named by the line it starts on. */
class JsonArrayDataTest {

  @TempDir
  Path dir;

  @Test
  void readsAnArrayOfAlpacaObjects() throws IOException {
    Path file = dir.resolve("alpaca_en_demo.json");
    Files.writeString(file, "\uFEFF[\n  {\n    \"instruction\": \"What is 2 + 2?\",\n    \"input\": \"\",\n"
        + "    \"output\": \"4\"\n  },\n  {\"instruction\": \"Name a colour\", \"input\": \"one\", \"output\": \"red\"}\n]\n");
    SampleFile read = DataReader.read(file, DataFormat.ALPACA, false);
    assertThat(read.lines()).extracting(DataLine::number).containsExactly(2, 7);
    Conversation second = (Conversation) read.lines().get(1).sample();
    assertThat(second.turns()).extracting(Turn::content).containsExactly("Name a colour\none", "red");
  }

  @Test
  void readsShareGptConversations() throws IOException {
    Path file = dir.resolve("identity.json");
    Files.writeString(file, """
        [{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "Hello, I am peft4j."}]}]
        """);
    Conversation conversation = (Conversation) DataReader.read(file, DataFormat.SHAREGPT, false).samples().get(0);
    assertThat(conversation.turns()).extracting(Turn::role).containsExactly(Role.USER, Role.ASSISTANT);
  }

  @Test
  void readsTheFieldsColumnsName() throws IOException {
    Path alpaca = dir.resolve("renamed.json");
    Files.writeString(alpaca, """
        [{"question": "2 + 2?", "context": "in base 10", "answer": "4", "system": "ignored", "sys": "Be brief.",
          "earlier": [["1 + 1?", "2"]], "history": [["not", "read"]]},
         {"question": "3 + 3?", "answer": ""}]
        """);
    Columns columns = new Columns("question", "context", "answer", Optional.of("sys"), Optional.of("earlier"),
        "conversations", "text", Tags.DEFAULT);
    assertThatThrownBy(() -> DataReader.read(alpaca, DataFormat.ALPACA, columns, false))
        .isInstanceOf(DataException.class).hasMessageContaining(":3: \"answer\" is empty");
    Conversation read = (Conversation) DataReader.read(alpaca, DataFormat.ALPACA, columns, true).samples().get(0);
    assertThat(read.turns()).extracting(Turn::content)
        .containsExactly("Be brief.", "1 + 1?", "2", "2 + 2?\nin base 10", "4");
    Columns noSystem = new Columns("question", "context", "answer", Optional.empty(), Optional.empty(),
        "conversations", "text", Tags.DEFAULT);
    assertThat(((Conversation) DataReader.read(alpaca, DataFormat.ALPACA, noSystem, true).samples().get(0)).turns())
        .extracting(Turn::content).containsExactly("2 + 2?\nin base 10", "4");
  }

  @Test
  void readsShareGptTurnsByTheirTags() throws IOException {
    Path file = dir.resolve("tagged.json");
    Files.writeString(file, """
        [{"dialog": [{"who": "me", "said": "hi"}, {"who": "bot", "said": "Hello."}]},
         {"dialog": [{"who": "human", "said": "hi"}, {"who": "bot", "said": "Hello."}]}]
        """);
    Columns columns = new Columns("instruction", "input", "output", Optional.of("system"), Optional.empty(),
        "dialog", "text", new Tags("who", "said", "me", "bot", "sys"));
    assertThatThrownBy(() -> DataReader.read(file, DataFormat.SHAREGPT, columns, false))
        .isInstanceOf(DataException.class)
        .hasMessageContaining(":2: \"dialog\"[0]: unknown who \"human\": expected me, bot, sys");
    Conversation read = (Conversation) DataReader.read(file, DataFormat.SHAREGPT, columns, true).samples().get(0);
    assertThat(read.turns()).extracting(Turn::role).containsExactly(Role.USER, Role.ASSISTANT);
  }

  @Test
  void aBadElementNamesItsLineAndBadElementsCanBeSkipped() throws IOException {
    Path file = dir.resolve("data.json");
    Files.writeString(file, "[\n{\"instruction\": \"a\", \"output\": \"b\"},\n{\"instruction\": \"a\"}\n]");
    assertThatThrownBy(() -> DataReader.read(file, DataFormat.ALPACA, false))
        .isInstanceOf(DataException.class).hasMessageContaining(file + ":3: \"output\" is missing");
    SampleFile skipped = DataReader.read(file, DataFormat.ALPACA, true);
    assertThat(skipped.lines()).hasSize(1);
    assertThat(skipped.badLines().count()).isEqualTo(1);
  }

  @Test
  void brokenJsonIsAnErrorOfTheFileNotAStackTrace() throws IOException {
    Path file = dir.resolve("data.json");
    Files.writeString(file, "[\n{\"instruction\": \"a\", \"output\": \"b\"},\n{\"instruction\": \n");
    assertThatThrownBy(() -> DataReader.read(file, DataFormat.ALPACA, false))
        .isInstanceOf(DataException.class).hasMessageContaining("not a valid JSON array of objects");
  }
}
