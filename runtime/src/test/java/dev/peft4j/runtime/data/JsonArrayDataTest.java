package dev.peft4j.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peft4j.runtime.config.CoreSettings.DataFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
