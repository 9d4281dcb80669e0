package dev.peft4j.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peft4j.runtime.config.CoreSettings.DataFormat;
import dev.peft4j.runtime.data.SyntheticTasks.Item;
import dev.peft4j.runtime.data.SyntheticTasks.Split;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SyntheticTasksTest {

  private static final Path SHIPPED = Path.of("..", "examples", "data");
  private static final Pattern SUM = Pattern.compile("What is (\\d+) \\+ (\\d+)\\?");

  @Test
  void theShippedFilesAreWhatTheGeneratorMakes() throws Exception {
    if (Boolean.getBoolean("peft4j.write-data")) {
      SyntheticTasks.write(SHIPPED);
    }
    Split split = SyntheticTasks.additions();

    assertThat(Files.readString(SHIPPED.resolve("train.jsonl"), StandardCharsets.UTF_8))
        .as("examples/data/train.jsonl: rewrite it with -Dpeft4j.write-data=true (see SyntheticTasks)")
        .isEqualTo(SyntheticTasks.jsonLines(split.train()));
    assertThat(Files.readString(SHIPPED.resolve("eval.jsonl"), StandardCharsets.UTF_8))
        .as("examples/data/eval.jsonl: rewrite it with -Dpeft4j.write-data=true (see SyntheticTasks)")
        .isEqualTo(SyntheticTasks.jsonLines(split.eval()));
  }

  @Test
  void theShippedFilesAreAlpacaDataOfTheAnnouncedSize() {
    assertThat(DataReader.read(SHIPPED.resolve("train.jsonl"), DataFormat.ALPACA, false).lines()).hasSize(SyntheticTasks.TRAIN_SIZE);
    assertThat(DataReader.read(SHIPPED.resolve("eval.jsonl"), DataFormat.ALPACA, false).lines()).hasSize(SyntheticTasks.EVAL_SIZE);
  }

  @Test
  void trainAndEvalShareNoPairOfNumbersInEitherOrder() {
    Split split = SyntheticTasks.additions();
    Set<String> trainPairs = new HashSet<>();
    Set<String> trainInstructions = new HashSet<>();
    for (Item item : split.train()) {
      trainPairs.add(unordered(item));
      trainInstructions.add(item.instruction());
    }

    assertThat(trainInstructions).hasSize(SyntheticTasks.TRAIN_SIZE);
    assertThat(split.eval()).hasSize(SyntheticTasks.EVAL_SIZE)
        .allSatisfy(item -> assertThat(trainPairs).doesNotContain(unordered(item)));
    assertThat(split.eval().stream().map(Item::instruction).distinct()).hasSize(SyntheticTasks.EVAL_SIZE);
  }

  @Test
  void everyAnswerIsTheSumOfTwoTwoDigitNumbers() {
    Split split = SyntheticTasks.additions();
    for (List<Item> items : List.of(split.train(), split.eval())) {
      assertThat(items).allSatisfy(item -> {
        Matcher m = SUM.matcher(item.instruction());
        assertThat(m.matches()).as(item.instruction()).isTrue();
        int a = Integer.parseInt(m.group(1));
        int b = Integer.parseInt(m.group(2));
        assertThat(a).isBetween(10, 99);
        assertThat(b).isBetween(10, 99);
        assertThat(item.output()).isEqualTo(Integer.toString(a + b));
      });
    }
  }

  @Test
  void theSameSeedMakesTheSameDataAndAnotherSeedOtherData() {
    assertThat(SyntheticTasks.additions(7, 100, 10)).isEqualTo(SyntheticTasks.additions(7, 100, 10));
    assertThat(SyntheticTasks.additions(8, 100, 10)).isNotEqualTo(SyntheticTasks.additions(7, 100, 10));
    assertThatThrownBy(() -> SyntheticTasks.additions(7, 100_000, 10))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("training sums are left");
  }

  @Test
  void exactMatchTrimsWhitespaceButNothingElse() {
    ExactMatch match = ExactMatch.of(List.of(" 81\n", "81", "8 1", "Abc", "12"), List.of("81", " 81 ", "81", "abc", "13"));

    assertThat(match.correct()).isEqualTo(2);
    assertThat(match.total()).isEqualTo(5);
    assertThat(match.accuracy()).isEqualTo(0.4);
    assertThat(match).hasToString("exact match 2/5 (40.0%)");
    assertThat(ExactMatch.of(List.of(), List.of()).accuracy()).isZero();
    assertThatThrownBy(() -> ExactMatch.of(List.of("a"), List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 predicted answers for 0 references");
  }

  private static String unordered(Item item) {
    Matcher m = SUM.matcher(item.instruction());
    assertThat(m.matches()).isTrue();
    int a = Integer.parseInt(m.group(1));
    int b = Integer.parseInt(m.group(2));
    return Math.min(a, b) + "+" + Math.max(a, b);
  }
}
