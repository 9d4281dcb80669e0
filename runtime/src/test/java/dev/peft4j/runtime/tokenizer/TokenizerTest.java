package dev.peft4j.runtime.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peft4j.api.Peft4jException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {

  @TempDir
  Path dir;

  private Path characterTokenizer(List<String> extra) {
    TokenizerFiles.writeCharacterTokenizer(dir, extra);
    return dir;
  }

  @Test
  void roundTripsTextThroughEncodeAndDecode() {
    String text = "### Instruction:\nWhat is 23 + 58?\n\n### Response:\n81 {~`'\"\\}";
    try (Tokenizer tokenizer = Tokenizer.load(characterTokenizer(List.of()))) {
      int[] ids = tokenizer.encode(text);

      assertThat(ids).hasSize(text.length());
      assertThat(tokenizer.decode(ids, false)).isEqualTo(text);
    }
  }

  @Test
  void givesTheSpecialTokensTheirIds() {
    try (Tokenizer tokenizer = Tokenizer.load(characterTokenizer(List.of()))) {
      assertThat(tokenizer.padId()).isZero();
      assertThat(tokenizer.bosId()).hasValue(1);
      assertThat(tokenizer.eosId()).isEqualTo(2);
      assertThat(tokenizer.unkId()).hasValue(3);
      assertThat(tokenizer.bosToken()).hasValue("<s>");
      assertThat(tokenizer.eosToken()).isEqualTo("</s>");
      assertThat(tokenizer.vocabSize()).isEqualTo(100);
      assertThat(tokenizer.addBosToken()).isTrue();
      assertThat(tokenizer.chatTemplate()).isEmpty();
      assertThat(tokenizer.modelMaxLength()).hasValue(TokenizerFiles.DEFAULT_MODEL_MAX_LENGTH);
    }
  }

  @Test
  void givesNewlineSpaceAndPrintableAsciiAnIdEachAfterTheSpecials() {
    try (Tokenizer tokenizer = Tokenizer.load(characterTokenizer(List.of()))) {
      assertThat(tokenizer.encode("\n !~")).containsExactly(4, 5, 6, 99);
    }
  }

  @Test
  void mapsUnknownCharactersToTheUnknownId() {
    try (Tokenizer tokenizer = Tokenizer.load(characterTokenizer(List.of()))) {
      int[] ids = tokenizer.encode("aéb☃");

      assertThat(ids).containsExactly(tokenizer.encode("a")[0], 3, tokenizer.encode("b")[0], 3);
    }
  }

  @Test
  void extraCharactersGetIdsAfterTheBaseVocabulary() {
    try (Tokenizer tokenizer = Tokenizer.load(characterTokenizer(List.of("é", "a", "☃", "é")))) {
      assertThat(tokenizer.vocabSize()).isEqualTo(102);
      assertThat(tokenizer.encode("é☃")).containsExactly(100, 101);
      assertThat(tokenizer.decode(new int[] {100, 101}, true)).isEqualTo("é☃");
    }
  }

  @Test
  void refusesAnExtraCharacterThatIsNotOneCharacter() {
    assertThatThrownBy(() -> TokenizerFiles.writeCharacterTokenizer(dir, List.of("ab")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("characters[0]").hasMessageContaining("\"ab\"");
  }

  @Test
  void addsNoSpecialTokensAndDoesNotTruncate() {
    String longText = "abcdefghij".repeat(300);
    try (Tokenizer tokenizer = Tokenizer.load(characterTokenizer(List.of()))) {
      assertThat(tokenizer.encode("ab")).hasSize(2);
      assertThat(tokenizer.encode(longText)).hasSize(3000);
      assertThat(tokenizer.encode("")).isEmpty();
    }
  }

  @Test
  void recognisesSpecialTokensWrittenInTheTextAndSkipsThemWhenDecodingIfAsked() {
    try (Tokenizer tokenizer = Tokenizer.load(characterTokenizer(List.of()))) {
      int[] ids = tokenizer.encode("<s>hi</s>");

      assertThat(ids).containsExactly(1, tokenizer.encode("h")[0], tokenizer.encode("i")[0], 2);
      assertThat(tokenizer.decode(ids, false)).isEqualTo("<s>hi</s>");
      assertThat(tokenizer.decode(ids, true)).isEqualTo("hi");
    }
  }

  @Test
  void decodingAnIdOutsideTheVocabularySaysWhichAndWhere() {
    try (Tokenizer tokenizer = Tokenizer.load(characterTokenizer(List.of()))) {
      assertThatThrownBy(() -> tokenizer.decode(new int[] {5, 100}, false))
          .isInstanceOf(TokenizerException.class).hasMessageContaining("id 100 at position 1");
    }
  }

  @Test
  void padFallsBackToEosAndSpecialTokensMayBeObjects() throws Exception {
    characterTokenizer(List.of());
    Files.writeString(dir.resolve("tokenizer_config.json"), """
        {"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
         "eos_token": {"content": "</s>"}, "pad_token": null, "add_bos_token": false}
        """);
    try (Tokenizer tokenizer = Tokenizer.load(dir)) {
      assertThat(tokenizer.bosId()).hasValue(1);
      assertThat(tokenizer.eosId()).isEqualTo(2);
      assertThat(tokenizer.padId()).isEqualTo(2);
      assertThat(tokenizer.addBosToken()).isFalse();
    }
  }

  @Test
  void withoutAConfigFindsTheUsualEosAndNoBos() throws Exception {
    characterTokenizer(List.of());
    Files.delete(dir.resolve("tokenizer_config.json"));
    try (Tokenizer tokenizer = Tokenizer.load(dir)) {
      assertThat(tokenizer.eosId()).isEqualTo(2);
      assertThat(tokenizer.bosId()).isEmpty();
      assertThat(tokenizer.addBosToken()).isFalse();
      assertThat(tokenizer.padId()).isEqualTo(2);
    }
  }

  @Test
  void addBosTokenFollowsThePostProcessorWhenTheConfigIsSilent() throws Exception {
    characterTokenizer(List.of());
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\"}");
    try (Tokenizer tokenizer = Tokenizer.load(dir)) {
      assertThat(tokenizer.addBosToken()).isTrue();
    }
  }

  @Test
  void readsTheChatTemplateFromTheConfigOrFromChatTemplateJinja() throws Exception {
    characterTokenizer(List.of());
    Files.writeString(dir.resolve("tokenizer_config.json"), """
        {"eos_token": "</s>", "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}
        """);
    try (Tokenizer tokenizer = Tokenizer.load(dir)) {
      assertThat(tokenizer.chatTemplate()).hasValue("D");
    }
    Files.writeString(dir.resolve("chat_template.jinja"), "{{ messages[0]['content'] }}");
    try (Tokenizer tokenizer = Tokenizer.load(dir)) {
      assertThat(tokenizer.chatTemplate()).hasValue("{{ messages[0]['content'] }}");
    }
  }

  /** A Unigram tokenizer trained with Python's tokenizers; expected.json holds what Python encodes. */
  @Test
  void encodesAUnigramTokenizerAsPythonDoes() throws Exception {
    Path folder = Path.of(TokenizerTest.class.getResource("/tokenizers/unigram").toURI());
    JsonObject expected = JsonParser.parseString(Files.readString(folder.resolve("expected.json"))).getAsJsonObject();
    int[] ids = StreamSupport.stream(expected.getAsJsonArray("ids").spliterator(), false).mapToInt(JsonElement::getAsInt).toArray();

    try (Tokenizer tokenizer = Tokenizer.load(folder)) {
      assertThat(tokenizer.encode(expected.get("text").getAsString())).containsExactly(ids);
      assertThat(tokenizer.decode(ids, true)).isEqualTo(expected.get("decoded").getAsString());
      assertThat(tokenizer.vocabSize()).isEqualTo(expected.get("vocab_size").getAsInt());
      assertThat(tokenizer.eosId()).isEqualTo(2);
      assertThat(tokenizer.unkId()).hasValue(0);
      assertThat(tokenizer.bosId()).isEmpty();
      assertThat(tokenizer.padId()).isEqualTo(2);
    }
  }

  @Test
  void aMissingFolderOrTokenizerJsonIsNamed() throws Exception {
    assertThatThrownBy(() -> Tokenizer.load(dir.resolve("nowhere")))
        .isInstanceOf(Peft4jException.class).hasMessageContaining("nowhere").hasMessageContaining("does not exist");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(TokenizerException.class)
        .hasMessageContaining(dir.resolve("tokenizer.json").toString()).hasMessageContaining("does not exist");
  }

  @Test
  void aMalformedTokenizerJsonIsNamed() throws Exception {
    characterTokenizer(List.of());
    Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": ");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(TokenizerException.class)
        .hasMessageContaining(dir.resolve("tokenizer.json").toString()).hasMessageContaining("not valid JSON");

    Files.writeString(dir.resolve("tokenizer.json"), """
        {"model": {"type": "Nonsense", "vocab": {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3}}}
        """);
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(TokenizerException.class)
        .hasMessageContaining(dir.resolve("tokenizer.json").toString()).hasMessageContaining("cannot be loaded");
  }

  @Test
  void aMalformedConfigIsNamed() throws Exception {
    characterTokenizer(List.of());
    Path config = dir.resolve("tokenizer_config.json");
    Files.writeString(config, "[1, 2]");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(TokenizerException.class).hasMessageContaining(config.toString()).hasMessageContaining("not a JSON object");

    Files.writeString(config, "{\"eos_token\": 7}");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(TokenizerException.class).hasMessageContaining(config + ": eos_token must be a string");

    Files.writeString(config, "{\"eos_token\": \"<|end|>\"}");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(TokenizerException.class)
        .hasMessageContaining(config + ": eos_token \"<|end|>\" is not a token of " + dir.resolve("tokenizer.json"));

    Files.writeString(config, "{\"eos_token\": \"</s>\", \"add_bos_token\": \"yes\"}");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(TokenizerException.class).hasMessageContaining(config + ": add_bos_token must be true or false");
  }

  @Test
  void aValueOfTheWrongTypeInTheTokenizerFilesIsAClearError() throws java.io.IOException {
    Path folder = characterTokenizer(List.of());
    com.google.gson.JsonObject tokenizer = com.google.gson.JsonParser.parseString(
        java.nio.file.Files.readString(folder.resolve("tokenizer.json"))).getAsJsonObject();
    com.google.gson.JsonObject processor = new com.google.gson.JsonObject();
    processor.add("type", new com.google.gson.JsonObject());
    tokenizer.add("post_processor", processor);
    java.nio.file.Files.writeString(folder.resolve("tokenizer.json"), tokenizer.toString());
    com.google.gson.JsonObject config = com.google.gson.JsonParser.parseString(
        java.nio.file.Files.readString(folder.resolve("tokenizer_config.json"))).getAsJsonObject();
    config.remove("add_bos_token");
    java.nio.file.Files.writeString(folder.resolve("tokenizer_config.json"), config.toString());

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Tokenizer.load(folder))
        .isInstanceOf(TokenizerException.class)
        .hasMessageContaining("wrong type")
        .hasMessageContaining(folder.toString());
  }
}
