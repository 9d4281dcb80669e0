package dev.peft4j.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peft4j.runtime.config.CoreSettings.DataFormat;
import dev.peft4j.runtime.tokenizer.Tokenizer;
import dev.peft4j.runtime.tokenizer.TokenizerFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {

  /** "<s>### Instruction:\n" + "\n\n### Response:\n" around a user text: 34 tokens with the character tokenizer. */
  private static final int PROMPT_OVERHEAD = 1 + DefaultChatTemplate.INSTRUCTION.length() + DefaultChatTemplate.RESPONSE.length();

  @TempDir
  Path dir;

  private Tokenizer tokenizer;

  @BeforeEach
  void setUp() {
    TokenizerFiles.writeCharacterTokenizer(dir.resolve("model"), List.of());
    tokenizer = Tokenizer.load(dir.resolve("model"));
  }

  @AfterEach
  void tearDown() {
    tokenizer.close();
  }

  private Path file(String... lines) throws Exception {
    Path file = dir.resolve("data.jsonl");
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }

  private static String alpaca(String instruction, String output) {
    return "{\"instruction\": \"" + instruction + "\", \"output\": \"" + output + "\"}";
  }

  @Test
  void textsLearnEveryTokenBetweenBosAndEos() throws Exception {
    PreparedData data = Datasets.prepare(file("{\"text\": \"abc\"}"), new DataOptions(DataFormat.TEXT, 512, false, false), tokenizer);

    Example example = data.examples().get(0);
    assertThat(tokenizer.decode(example.inputIds(), false)).isEqualTo("<s>abc</s>");
    assertThat(example.labels()).containsExactly(example.inputIds());
    assertThat(example.predictedTokens()).isEqualTo(4);
  }

  @Test
  void cutoffKeepsTheStartOfAnExample() throws Exception {
    PreparedData data = Datasets.prepare(file(alpaca("q", "abcdef")),
        new DataOptions(DataFormat.ALPACA, PROMPT_OVERHEAD + 1 + 3, false, false), tokenizer);

    Example example = data.examples().get(0);
    assertThat(tokenizer.decode(example.inputIds(), false)).endsWith("### Response:\nabc");
    assertThat(example.predictedTokens()).isEqualTo(3);
    assertThat(data.truncated()).isEqualTo(1);
    assertThat(data.dropped()).isZero();
  }

  @Test
  void dropsAndCountsAnExampleWhoseAnswerIsCutAwayEntirely() throws Exception {
    String longQuestion = "x".repeat(40);
    PreparedData data = Datasets.prepare(file(alpaca("q", "a"), alpaca(longQuestion, "b"), alpaca("r", "c")),
        new DataOptions(DataFormat.ALPACA, PROMPT_OVERHEAD + 1 + 2, false, false), tokenizer);

    assertThat(data.examples()).hasSize(2);
    assertThat(data.samples()).isEqualTo(3);
    assertThat(data.dropped()).isEqualTo(1);
    assertThat(data.truncated()).isZero();
    assertThat(data.summary(PROMPT_OVERHEAD + 3)).contains("3 examples").contains("1 dropped (cutoff-len");
  }

  @Test
  void whenEveryAnswerIsCutAwayItSaysToRaiseCutoffLen() throws Exception {
    Path file = file(alpaca("a long question", "b"));

    assertThatThrownBy(() -> Datasets.prepare(file, new DataOptions(DataFormat.ALPACA, 10, false, false), tokenizer))
        .isInstanceOf(DataException.class).hasMessageContaining("cut away the answers of all 1").hasMessageContaining("raise data.cutoff-len");
  }

  @Test
  void packsExamplesUpToCutoffLenAndKeepsEachOnesLabels() {
    Example a = Example.allLearned(new int[] {10, 11, 12});
    Example b = new Example(new int[] {20, 21}, new int[] {Example.IGNORE, 21});
    Example c = Example.allLearned(new int[] {30, 31, 32, 33});

    List<Example> packed = Datasets.pack(List.of(a, b, c), 6);

    assertThat(packed).containsExactly(
        new Example(new int[] {10, 11, 12, 20, 21}, new int[] {10, 11, 12, Example.IGNORE, 21}),
        new Example(new int[] {30, 31, 32, 33}, new int[] {30, 31, 32, 33}));
    assertThat(Datasets.pack(List.of(a, c, a), 7)).extracting(Example::length).containsExactly(7, 3);
  }

  @Test
  void packingTextsNeverLearnsTheFirstTokenOfTheNextFromThePrevious() throws Exception {
    PreparedData data = Datasets.prepare(file("{\"text\": \"ab\"}", "{\"text\": \"cd\"}"),
        new DataOptions(DataFormat.TEXT, 100, true, false), tokenizer);

    assertThat(data.examples()).singleElement().satisfies(packed -> {
      assertThat(tokenizer.decode(packed.inputIds(), false)).isEqualTo("<s>ab</s><s>cd</s>");
      assertThat(packed.labels()[4]).isEqualTo(Example.IGNORE);
      assertThat(packed.predictedTokens()).isEqualTo(3 + 3);
    });
    assertThat(data.summary(100)).contains("2 examples in 1 packed sequence");
  }

  @Test
  void aConversationTheTemplateRefusesIsABadLine() throws Exception {
    Files.writeString(dir.resolve("model/chat_template.jinja"),
        "{% if messages|length > 2 %}{{ raise_exception('one exchange only') }}{% endif %}"
            + "{% for m in messages %}{{ m['content'] }}{% endfor %}");
    try (Tokenizer withTemplate = Tokenizer.load(dir.resolve("model"))) {
      Path file = file(alpaca("q", "a"),
          "{\"instruction\": \"q\", \"output\": \"a\", \"history\": [[\"q0\", \"a0\"]]}");

      assertThatThrownBy(() -> Datasets.prepare(file, new DataOptions(DataFormat.ALPACA, 64, false, false), withTemplate))
          .isInstanceOf(DataException.class).hasMessageStartingWith(file + ":2: ").hasMessageContaining("one exchange only");
      PreparedData skipped = Datasets.prepare(file, new DataOptions(DataFormat.ALPACA, 64, false, true), withTemplate);
      assertThat(skipped.examples()).hasSize(1);
      assertThat(skipped.badLines().count()).isEqualTo(1);
    }
  }

  @Test
  void failure7_aPromptTooLongForTheCutoffIsDroppedWithoutEncodingIt() throws Exception {
    String longPrompt = "word ".repeat(2_000_000);
    Path file = file(alpaca(longPrompt, "ok"), alpaca("Add 2 and 2", "4"));
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    long before = threads.getCurrentThreadAllocatedBytes();
    PreparedData data = Datasets.prepare(file, new DataOptions(DataFormat.ALPACA, 64, false, false), tokenizer);
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;

    assertThat(data.examples()).hasSize(1);
    assertThat(data.summary(64)).contains("1 dropped (cutoff-len 64 cut away its whole answer)");
    // Reading the 10 MB line costs some copies of it (~90 MB); encoding it cost 1.7 GB more (2.7 GB resident).
    assertThat(allocated).as("bytes allocated preparing a 10 MB line").isLessThan(200_000_000L);
  }
}
