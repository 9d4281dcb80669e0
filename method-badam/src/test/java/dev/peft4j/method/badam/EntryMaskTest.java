package dev.peft4j.method.badam;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peft4j.method.badam.BadamSettings.MaskMode;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EntryMaskTest {

  @Test
  void adjacentTakesARangeThatMovesByItsLengthAndWraps() {
    // n = 1024, ratio 0.4: k = 409 (int(1024 * 0.4)), offsets 0, 409, 818 (wraps to 203)
    assertThat(EntryMask.indices(1024, 0.4, 0, MaskMode.ADJACENT, 1)).isEqualTo(LongStream.range(0, 409).toArray());
    assertThat(EntryMask.indices(1024, 0.4, 1, MaskMode.ADJACENT, 1)).isEqualTo(LongStream.range(409, 818).toArray());
    assertThat(EntryMask.indices(1024, 0.4, 2, MaskMode.ADJACENT, 1))
        .isEqualTo(LongStream.concat(LongStream.range(0, 203), LongStream.range(818, 1024)).toArray());
    assertThat(EntryMask.offset(1024, 0.4, 3)).isEqualTo(3 * 409 % 1024);
  }

  @Test
  void theCountIsTheReferencesTruncatedProduct() {
    assertThat(EntryMask.count(1024, 0.05)).isEqualTo(51);
    assertThat(EntryMask.count(2048, 0.05)).isEqualTo(102);
    assertThat(EntryMask.count(150, 0.005)).isZero();
  }

  @Test
  void smallTensorsAndARatioOfOneUpdateWhole() {
    assertThat(EntryMask.whole(99, 0.05)).isTrue();
    assertThat(EntryMask.count(99, 0.05)).isEqualTo(99);
    assertThat(EntryMask.whole(100, 0.05)).isFalse();
    assertThat(EntryMask.whole(4096, 1.0)).isTrue();
    assertThat(EntryMask.count(4096, 1.0)).isEqualTo(4096);
  }

  @ParameterizedTest
  @EnumSource(MaskMode.class)
  void aPassOfWindowsVisitsEveryEntryOnce(MaskMode mode) {
    long n = 1000;
    double ratio = 0.1; // k = 100: ten windows make a pass
    Set<Long> seen = new HashSet<>();
    for (long window = 0; window < 10; window++) {
      long[] indices = EntryMask.indices(n, ratio, window, mode, 5);
      assertThat(indices).hasSize(100).isSorted();
      for (long index : indices) {
        assertThat(index).isBetween(0L, n - 1);
        assertThat(seen.add(index)).as("entry %d twice in a pass", index).isTrue();
      }
    }
    assertThat(seen).hasSize(1000);
  }

  @Test
  void scatterIsSeededRandomAndRepeats() {
    long[] one = EntryMask.indices(4096, 0.05, 3, MaskMode.SCATTER, 11);
    long[] again = EntryMask.indices(4096, 0.05, 3, MaskMode.SCATTER, 11);
    long[] otherSeed = EntryMask.indices(4096, 0.05, 3, MaskMode.SCATTER, 12);

    assertThat(one).hasSize(204).isEqualTo(again).isNotEqualTo(otherSeed);
    assertThat(Arrays.stream(one).distinct().count()).isEqualTo(204);
    // not a range: the gaps between chosen entries vary
    assertThat(one[one.length - 1] - one[0]).isGreaterThan(2000);
  }

  @Test
  void thePermutationIsABijectionForAwkwardSizes() {
    for (long n : new long[] {1, 2, 3, 5, 100, 257, 4095, 4097}) {
      EntryMask.EntryPermutation permutation = new EntryMask.EntryPermutation(n, 3);
      Set<Long> values = new HashSet<>();
      for (long i = 0; i < n; i++) {
        values.add(permutation.at(i));
      }
      assertThat(values).as("n = %d", n).hasSize((int) n).allMatch(v -> v >= 0 && v < n);
    }
  }
}
