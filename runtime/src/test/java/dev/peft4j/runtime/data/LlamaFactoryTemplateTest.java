package dev.peft4j.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peft4j.runtime.config.CoreSettings.TemplateName;
import dev.peft4j.runtime.tokenizer.Tokenizer;
import dev.peft4j.runtime.tokenizer.TokenizerFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * peft4j's named templates against LLaMA-Factory 0.9.5's own encoding (fixtures/llamafactory-templates, made by
 * make_llamafactory_template_fixtures.py): the ids and labels of its supervised processor, uncut and cut by
 * infer_seqlen, and the prompt ids its chat model generates from, all equal; on a character tokenizer whose added
 * tokens are the families' special tokens, so that every piece shows in the ids.
 */
class LlamaFactoryTemplateTest {

  private static final Path FIXTURES = Path.of("src/test/resources/fixtures/llamafactory-templates");
  private static final JsonObject EXPECTED = read();
  private static Tokenizer tokenizer;

  @BeforeAll
  static void load() {
    tokenizer = Tokenizer.load(FIXTURES.resolve("tokenizer"));
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  private static JsonObject read() {
    try {
      return JsonParser.parseString(Files.readString(FIXTURES.resolve("expected.json"), StandardCharsets.UTF_8))
          .getAsJsonObject();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (String template : EXPECTED.getAsJsonObject("templates").keySet()) {
      for (String name : EXPECTED.getAsJsonObject("conversations").keySet()) {
        cases.add(Arguments.of(template, name));
      }
    }
    return cases.stream();
  }

  private static NamedChatTemplate template(String name) {
    return new NamedChatTemplate(TemplateName.valueOf(name.toUpperCase(Locale.ROOT)), tokenizer);
  }

  private static Conversation conversation(String name) {
    JsonObject conversation = EXPECTED.getAsJsonObject("conversations").getAsJsonObject(name);
    List<Turn> turns = new ArrayList<>();
    String system = conversation.get("system").getAsString();
    if (!system.isEmpty()) {
      turns.add(Turn.system(system));
    }
    for (JsonElement turn : conversation.getAsJsonArray("turns")) {
      String content = turn.getAsJsonObject().get("content").getAsString();
      turns.add(turn.getAsJsonObject().get("role").getAsString().equals("user") ? Turn.user(content)
          : Turn.assistant(content));
    }
    return new Conversation(turns);
  }

  private static int[] ints(JsonObject object, String key) {
    return object.getAsJsonArray(key).asList().stream().mapToInt(JsonElement::getAsInt).toArray();
  }

  private static JsonObject expected(String template, String conversation) {
    return EXPECTED.getAsJsonObject("templates").getAsJsonObject(template).getAsJsonObject("cases")
        .getAsJsonObject(conversation);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void encodesAsLlamaFactorysSupervisedProcessor(String name, String conversation) {
    NamedChatTemplate template = template(name);
    for (JsonElement cutoff : EXPECTED.getAsJsonArray("cutoffs")) {
      JsonObject expected = expected(name, conversation).getAsJsonObject("cutoff" + cutoff.getAsInt());
      Example example = template.encode(conversation(conversation), cutoff.getAsInt());

      assertThat(example.inputIds()).as("input_ids at cutoff_len %s", cutoff).containsExactly(ints(expected,
          "input_ids"));
      assertThat(example.labels()).as("labels at cutoff_len %s", cutoff).containsExactly(ints(expected, "labels"));
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void promptsAsLlamaFactorysChatModelAndRendersItsPieces(String name, String conversation) {
    NamedChatTemplate template = template(name);
    JsonObject expected = expected(name, conversation);
    Conversation turns = conversation(conversation);

    assertThat(template.encodePrompt(turns.prompt())).containsExactly(ints(expected, "prompt_ids"));
    StringBuilder text = new StringBuilder();
    String eos = EXPECTED.getAsJsonObject("templates").getAsJsonObject(name).get("eos_token").getAsString();
    for (JsonElement message : expected.getAsJsonArray("pieces")) {
      for (JsonElement piece : message.getAsJsonArray()) {
        JsonObject p = piece.getAsJsonObject();
        text.append(p.has("text") ? p.get("text").getAsString()
            : p.get("special").getAsString().equals("bos_token") ? "<s>" : eos);
      }
    }
    assertThat(template.render(turns.turns(), true)).isEqualTo(text.toString());
  }

  @Test
  void theWholeConversationIsTheUncutEncoding() {
    NamedChatTemplate template = template("llama3");
    Conversation conversation = conversation("long");

    assertThat(template.encode(conversation).inputIds())
        .containsExactly(ints(expected("llama3", "long").getAsJsonObject("cutoff4096"), "input_ids"));
    assertThat(template.eosId()).isEqualTo(tokenizer.encode("<|eot_id|>")[0]);
  }

  @Test
  void aTemplateForAnotherFamilyIsRefusedNamingTheMissingToken(@TempDir Path dir) {
    TokenizerFiles.writeCharacterTokenizer(dir, List.of());
    try (Tokenizer plain = Tokenizer.load(dir)) {
      assertThatThrownBy(() -> ChatTemplate.of(plain, TemplateName.LLAMA3))
          .isInstanceOf(ChatTemplateException.class)
          .hasMessageContaining("data.template").hasMessageContaining("--template")
          .hasMessageContaining("llama3 ends each answer with <|eot_id|>")
          .hasMessageContaining("another model family");
      // templates that keep the tokenizer's own end-of-sequence token work with any tokenizer
      assertThat(ChatTemplate.of(plain, TemplateName.MISTRAL)).isInstanceOf(NamedChatTemplate.class);
      assertThat(ChatTemplate.of(plain, TemplateName.MODEL)).isInstanceOf(DefaultChatTemplate.class);
    }
  }

  @Test
  void inferSeqlenSplitsTheRoomAsLlamaFactoryDoes() {
    // infer_seqlen(10, 3, 20): a short target keeps the whole room; (3, 30, 20): a short source is kept whole;
    // (30, 10, 20): both cut in proportion, int(20 * 10 / 40) = 5 for the target
    assertThat(NamedChatTemplate.inferSeqlen(10, 3, 20)).containsExactly(10, 3);
    assertThat(NamedChatTemplate.inferSeqlen(3, 30, 20)).containsExactly(3, 17);
    assertThat(NamedChatTemplate.inferSeqlen(30, 10, 20)).containsExactly(15, 5);
    assertThat(NamedChatTemplate.inferSeqlen(30, 10, 0)).containsExactly(0, 0);
  }
}
