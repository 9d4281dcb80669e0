package dev.peft4j.runtime.generate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GeneratorTest {

  private static final float[] LOGITS = {0f, 3f, 2.9f, -5f, 1f};

  @Test
  void greedyTakesTheMostLikelyToken() {
    assertThat(Generator.argMax(LOGITS)).isEqualTo(1);
  }

  @Test
  void aSmallTopPKeepsOnlyTheMostLikelyToken() {
    Random random = new Random(1);
    for (int i = 0; i < 50; i++) {
      assertThat(Generator.sample(LOGITS, new Generator.Sampling(1, 1.0, 0.01, 0), random)).isEqualTo(1);
    }
  }

  @Test
  void topPDrawsOnlyFromTheNucleus() {
    Random random = new Random(2);
    Set<Integer> drawn = new HashSet<>();
    for (int i = 0; i < 500; i++) {
      drawn.add(Generator.sample(LOGITS, new Generator.Sampling(1, 1.0, 0.8, 0), random));
    }
    assertThat(drawn).containsExactlyInAnyOrder(1, 2);
  }

  @Test
  void aHighTemperatureReachesUnlikelyTokens() {
    Random random = new Random(3);
    Set<Integer> drawn = new HashSet<>();
    for (int i = 0; i < 2000; i++) {
      drawn.add(Generator.sample(LOGITS, new Generator.Sampling(1, 10.0, 1.0, 0), random));
    }
    assertThat(drawn).contains(0, 1, 2, 3, 4);
  }
}
