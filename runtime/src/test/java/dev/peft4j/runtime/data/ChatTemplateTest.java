package dev.peft4j.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peft4j.runtime.tokenizer.Tokenizer;
import dev.peft4j.runtime.tokenizer.TokenizerFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ChatTemplateTest {

  /** What Python's Jinja2 renders (trim_blocks, lstrip_blocks, as transformers sets them) for chat-templates/*.jinja. */
  private static final JsonObject EXPECTED = JsonParser.parseString(resource("expected.json")).getAsJsonObject();

  private static final Conversation TWO_EXCHANGES = Conversation.of(Turn.system("Be brief."),
      Turn.user("What is 2 + 2?"), Turn.assistant("4"), Turn.user(" Reverse: abc "), Turn.assistant("cba"));

  @TempDir
  Path dir;

  private Tokenizer tokenizer(String chatTemplate) throws IOException {
    TokenizerFiles.writeCharacterTokenizer(dir, List.of());
    if (chatTemplate != null) {
      Files.writeString(dir.resolve("chat_template.jinja"), chatTemplate);
    }
    return Tokenizer.load(dir);
  }

  private static String resource(String name) {
    try (InputStream in = ChatTemplateTest.class.getResourceAsStream("/chat-templates/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The text of the learned tokens, pieces separated by "|". */
  private static String learned(Example example, Tokenizer tokenizer) {
    StringBuilder text = new StringBuilder();
    boolean inside = false;
    for (int i = 0; i < example.length(); i++) {
      boolean learned = example.labels()[i] != Example.IGNORE;
      if (learned) {
        assertThat(example.labels()[i]).isEqualTo(example.inputIds()[i]);
        text.append(tokenizer.decode(new int[] {example.inputIds()[i]}, false));
      } else if (inside) {
        text.append('|');
      }
      inside = learned;
    }
    return text.toString();
  }

  @Test
  void masksThePromptOutOfTheLoss() throws IOException {
    try (Tokenizer tokenizer = tokenizer(null)) {
      Example example = ChatTemplate.of(tokenizer).encode(Conversation.of(Turn.user("What is 23 + 58?"), Turn.assistant("81")));

      String prompt = "### Instruction:\nWhat is 23 + 58?\n\n### Response:\n";
      int[] expectedIds = concat(new int[] {1}, tokenizer.encode(prompt), tokenizer.encode("81"), new int[] {2});
      assertThat(example.inputIds()).containsExactly(expectedIds);
      int promptLength = 1 + prompt.length();
      for (int i = 0; i < example.length(); i++) {
        assertThat(example.labels()[i]).as("label %d", i).isEqualTo(i < promptLength ? Example.IGNORE : expectedIds[i]);
      }
      assertThat(example.predictedTokens()).isEqualTo(3);
    }
  }

  @Test
  void theDefaultTemplatePutsTheSystemFirstAndLearnsEveryAnswerWithItsEos() throws IOException {
    try (Tokenizer tokenizer = tokenizer(null)) {
      ChatTemplate template = ChatTemplate.of(tokenizer);
      Example example = template.encode(TWO_EXCHANGES);

      assertThat(template).isInstanceOf(DefaultChatTemplate.class);
      assertThat(tokenizer.decode(example.inputIds(), false)).isEqualTo("<s>Be brief.\n\n### Instruction:\nWhat is 2 + 2?"
          + "\n\n### Response:\n4</s>\n\n### Instruction:\n Reverse: abc \n\n### Response:\ncba</s>");
      assertThat(learned(example, tokenizer)).isEqualTo("4</s>|cba</s>");
      assertThat(template.render(TWO_EXCHANGES.turns(), false)).isEqualTo(tokenizer.decode(example.inputIds(), false));
    }
  }

  @Test
  void aPromptToGenerateFromIsTheTrainingSequenceUpToTheAnswer() throws IOException {
    try (Tokenizer tokenizer = tokenizer(null)) {
      ChatTemplate template = ChatTemplate.of(tokenizer);
      Conversation conversation = Conversation.of(Turn.user("Reverse: abc"), Turn.assistant("cba"));

      int[] prompt = template.encodePrompt(conversation.prompt());
      int[] whole = template.encode(conversation).inputIds();

      assertThat(Arrays.copyOf(whole, prompt.length)).containsExactly(prompt);
      assertThat(tokenizer.decode(Arrays.copyOfRange(whole, prompt.length, whole.length), false)).isEqualTo("cba</s>");
      assertThat(template.render(conversation.prompt(), true)).endsWith("### Response:\n");
      assertThatThrownBy(() -> template.encodePrompt(conversation.turns()))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ends with an assistant turn");
    }
  }

  @Test
  void withoutBosTheDefaultTemplateStartsWithThePrompt() throws IOException {
    TokenizerFiles.writeCharacterTokenizer(dir, List.of());
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\", \"add_bos_token\": false}");
    try (Tokenizer tokenizer = Tokenizer.load(dir)) {
      Example example = ChatTemplate.of(tokenizer).encode(Conversation.of(Turn.user("q"), Turn.assistant("a")));

      assertThat(tokenizer.decode(example.inputIds(), false)).isEqualTo("### Instruction:\nq\n\n### Response:\na</s>");
    }
  }

  /** Every template of chat-templates/ with the rendering transformers gave for it. */
  static Stream<String> templates() {
    return EXPECTED.getAsJsonObject("renderings").keySet().stream();
  }

  @ParameterizedTest
  @MethodSource("templates")
  void rendersAJinjaTemplateAsTransformersDoes(String name) throws IOException {
    JsonObject conversations = EXPECTED.getAsJsonObject("conversations");
    try (Tokenizer tokenizer = tokenizer(resource(name + ".jinja"))) {
      ChatTemplate template = ChatTemplate.of(tokenizer);
      assertThat(template).isInstanceOf(JinjaChatTemplate.class);
      for (JsonElement element : EXPECTED.getAsJsonObject("renderings").getAsJsonArray(name)) {
        JsonObject rendering = element.getAsJsonObject();
        List<Turn> turns = turns(conversations.getAsJsonArray(rendering.get("conversation").getAsString()))
            .subList(0, rendering.get("turns").getAsInt());
        boolean generationPrompt = rendering.get("add_generation_prompt").getAsBoolean();
        String what = name + " on " + rendering;
        if (rendering.has("error")) {
          assertThatThrownBy(() -> template.render(turns, generationPrompt)).as(what)
              .isInstanceOf(ChatTemplateException.class)
              .hasMessageEndingWith("refuses the conversation: " + rendering.get("error").getAsString());
        } else {
          assertThat(template.render(turns, generationPrompt)).as(what).isEqualTo(rendering.get("text").getAsString());
        }
      }
    }
  }

  /** What transformers rendered of the first {@code turns} turns of a conversation. */
  private static String expectedText(String template, String conversation, int turns, boolean generationPrompt) {
    for (JsonElement element : EXPECTED.getAsJsonObject("renderings").getAsJsonArray(template)) {
      JsonObject rendering = element.getAsJsonObject();
      if (rendering.get("conversation").getAsString().equals(conversation) && rendering.get("turns").getAsInt() == turns
          && rendering.get("add_generation_prompt").getAsBoolean() == generationPrompt) {
        return rendering.get("text").getAsString();
      }
    }
    throw new IllegalArgumentException("no rendering of " + conversation + " by " + template);
  }

  private static List<Turn> turns(JsonArray messages) {
    List<Turn> turns = new ArrayList<>();
    for (JsonElement element : messages) {
      JsonObject message = element.getAsJsonObject();
      String content = message.get("content").getAsString();
      turns.add(switch (message.get("role").getAsString()) {
        case "system" -> Turn.system(content);
        case "user" -> Turn.user(content);
        default -> Turn.assistant(content);
      });
    }
    return turns;
  }

  @Test
  void aJinjaTemplateLearnsTheAnswersAndWhatTheTemplateClosesThemWith() throws IOException {
    Map<String, String> learned = Map.of(
        "chatml", "4<|im_end|>\n|cba<|im_end|>\n",
        "llama2", " 4 </s>| cba </s>",
        "llama3", "4<|eot_id|>|cba<|eot_id|>",
        "zephyr", "4</s>\n|cba</s>\n",
        // Phi-3 closes the whole conversation with eos: learned after the last answer only.
        "phi3", "4<|end|>\n|cba<|end|>\n</s>",
        "qwen2.5", "4<|im_end|>\n|cba<|im_end|>\n");
    for (Map.Entry<String, String> entry : learned.entrySet()) {
      try (Tokenizer tokenizer = tokenizer(resource(entry.getKey() + ".jinja"))) {
        ChatTemplate template = ChatTemplate.of(tokenizer);
        Example example = template.encode(TWO_EXCHANGES);

        assertThat(learned(example, tokenizer)).as(entry.getKey()).isEqualTo(entry.getValue());
        assertThat(tokenizer.decode(example.inputIds(), false)).as(entry.getKey())
            .isEqualTo(expectedText(entry.getKey(), "twoExchanges", 5, false));
        int[] prompt = template.encodePrompt(TWO_EXCHANGES.prompt());
        assertThat(Arrays.copyOf(example.inputIds(), prompt.length)).as(entry.getKey()).containsExactly(prompt);
      }
    }
  }

  @Test
  void raiseExceptionInATemplateRefusesTheConversationWithItsMessage() throws IOException {
    try (Tokenizer tokenizer = tokenizer("{{ raise_exception('System role not supported') }}")) {
      assertThatThrownBy(() -> ChatTemplate.of(tokenizer).encode(Conversation.of(Turn.user("q"), Turn.assistant("a"))))
          .isInstanceOf(ChatTemplateException.class)
          .hasMessageContaining(dir.toString())
          .hasMessageContaining("refuses the conversation: System role not supported");
    }
  }

  @Test
  void aTemplateThatRewritesEarlierTurnsIsRefused() throws IOException {
    // Renders the last message first: the rendering of two turns does not start with that of one.
    try (Tokenizer tokenizer = tokenizer("{% for m in messages|reverse %}{{ m['content'] }};{% endfor %}")) {
      assertThatThrownBy(() -> ChatTemplate.of(tokenizer).encode(Conversation.of(Turn.user("q"), Turn.assistant("a"))))
          .isInstanceOf(ChatTemplateException.class)
          .hasMessageContaining("cannot be told apart").hasMessageContaining("remove chat_template");
    }
  }

  @Test
  void aTemplateJinjavaCannotRenderSaysSo() throws IOException {
    try (Tokenizer tokenizer = tokenizer("{% for m in messages %}{{ m['content'] }")) {
      assertThatThrownBy(() -> ChatTemplate.of(tokenizer).render(List.of(Turn.user("q")), true))
          .isInstanceOf(ChatTemplateException.class).hasMessageContaining("cannot be rendered");
    }
  }

  @Test
  void messageContentIsNotInterpretedAsATemplate() throws IOException {
    try (Tokenizer tokenizer = tokenizer(resource("chatml.jinja"))) {
      String rendered = ChatTemplate.of(tokenizer).render(List.of(Turn.user("{{ 7 * 7 }} {% if true %}x{% endif %}")), false);

      assertThat(rendered).contains("{{ 7 * 7 }} {% if true %}x{% endif %}").doesNotContain("49");
    }
  }

  private static int[] concat(int[]... parts) {
    return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
  }
}
