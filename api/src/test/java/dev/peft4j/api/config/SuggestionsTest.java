package dev.peft4j.api.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestionsTest {

  private static final List<String> KEYS = List.of("rank", "alpha", "dropout", "target", "update-interval");

  @Test
  void suggestsTheClosestCandidateForATypo() {
    assertThat(Suggestions.closest("rnak", KEYS)).hasValue("rank");
    assertThat(Suggestions.closest("dropuot", KEYS)).hasValue("dropout");
    assertThat(Suggestions.closest("update-intervall", KEYS)).hasValue("update-interval");
  }

  @Test
  void ignoresCase() {
    assertThat(Suggestions.closest("ALPHA", KEYS)).hasValue("alpha");
  }

  @Test
  void suggestsNothingForAWordThatIsNotCloseToAnyCandidate() {
    assertThat(Suggestions.closest("learning-rate", KEYS)).isEmpty();
    assertThat(Suggestions.closest("rank", List.of())).isEmpty();
  }

  @Test
  void countsASwapOfNeighboursAsOneEdit() {
    assertThat(Suggestions.distance("rnak", "rank")).isEqualTo(1);
    assertThat(Suggestions.distance("rank", "rank")).isZero();
    assertThat(Suggestions.distance("", "abc")).isEqualTo(3);
    assertThat(Suggestions.distance("kitten", "sitting")).isEqualTo(3);
  }
}
