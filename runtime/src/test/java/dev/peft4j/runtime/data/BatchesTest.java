package dev.peft4j.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatchesTest {

  private static final int PAD = 0;

  /** Example i has i + 1 tokens, all equal to 100 + i. */
  private static List<Example> examples(int count) {
    List<Example> examples = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int[] ids = new int[i % 7 + 1];
      Arrays.fill(ids, 100 + i);
      examples.add(Example.allLearned(ids));
    }
    return examples;
  }

  private static List<Batch> run(Batches batches, BatchPosition from, int count) {
    List<Batch> seen = new ArrayList<>();
    BatchPosition position = from;
    for (int i = 0; i < count; i++) {
      seen.add(batches.batch(position));
      position = batches.next(position);
    }
    return seen;
  }

  @Test
  void eachEpochVisitsEveryExampleOnceInASeededOrder() {
    Batches batches = Batches.shuffled(examples(50), 8, 42, PAD);

    int[] first = batches.order(0);
    int[] second = batches.order(1);

    assertThat(first).containsExactlyInAnyOrder(IntStream.range(0, 50).toArray());
    assertThat(second).containsExactlyInAnyOrder(IntStream.range(0, 50).toArray());
    assertThat(first).isNotEqualTo(second).isNotEqualTo(IntStream.range(0, 50).toArray());
    assertThat(Batches.shuffled(examples(50), 8, 42, PAD).order(0)).containsExactly(first);
    assertThat(Batches.shuffled(examples(50), 8, 43, PAD).order(0)).isNotEqualTo(first);
    assertThat(batches.batchesPerEpoch()).isEqualTo(7);
    assertThat(batches.examplesAt(new BatchPosition(0, 6))).hasSize(2);
  }

  @Test
  void aResumedRunSeesExactlyTheSameNextBatches() {
    List<Example> data = examples(23);
    List<Batch> uninterrupted = run(Batches.shuffled(data, 4, 7, PAD), BatchPosition.START, 20);

    // Stop after 9 batches, save the position as JSON (as a checkpoint would), resume in a fresh Batches.
    Batches before = Batches.shuffled(data, 4, 7, PAD);
    BatchPosition position = BatchPosition.START;
    for (int i = 0; i < 9; i++) {
      position = before.next(position);
    }
    String saved = new Gson().toJson(position);
    BatchPosition restored = new Gson().fromJson(saved, BatchPosition.class);
    List<Batch> resumed = run(Batches.shuffled(data, 4, 7, PAD), restored, 11);

    assertThat(restored).isEqualTo(new BatchPosition(1, 3));
    assertThat(resumed).containsExactlyElementsOf(uninterrupted.subList(9, 20));
  }

  @Test
  void positionsWalkThroughEpochs() {
    assertThat(new BatchPosition(0, 2).next(3)).isEqualTo(new BatchPosition(1, 0));
    assertThat(new BatchPosition(2, 1).batchesBefore(3)).isEqualTo(7);
    assertThatThrownBy(() -> new BatchPosition(-1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Batches.shuffled(examples(5), 2, 1, PAD).batch(new BatchPosition(0, 3)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no batch 3 in an epoch of 3 batches");
  }

  @Test
  void theFingerprintChangesWithTheData() {
    assertThat(Batches.inOrder(examples(5), 2, PAD).fingerprint()).isEqualTo(Batches.shuffled(examples(5), 3, 9, PAD).fingerprint())
        .isNotEqualTo(Batches.inOrder(examples(6), 2, PAD).fingerprint());
  }

  @Test
  void inOrderKeepsTheExamplesOrderEveryEpoch() {
    Batches batches = Batches.inOrder(examples(5), 2, PAD);

    assertThat(batches.order(0)).containsExactly(0, 1, 2, 3, 4);
    assertThat(batches.order(3)).containsExactly(0, 1, 2, 3, 4);
    assertThat(batches.epoch(0)).extracting(Batch::size).containsExactly(2, 2, 1);
  }

  @Test
  void collationPadsOnTheRightToTheLongestExample() {
    Example shortOne = new Example(new int[] {5, 6}, new int[] {Example.IGNORE, 6});
    Example longOne = Example.allLearned(new int[] {7, 8, 9, 10});

    Batch batch = Batch.collate(List.of(shortOne, longOne), 3);

    assertThat(batch.inputIds()).isDeepEqualTo(new int[][] {{5, 6, 3, 3}, {7, 8, 9, 10}});
    assertThat(batch.labels()).isDeepEqualTo(new int[][] {{-100, 6, -100, -100}, {7, 8, 9, 10}});
    assertThat(batch.attentionMask()).isDeepEqualTo(new int[][] {{1, 1, 0, 0}, {1, 1, 1, 1}});
    assertThat(batch.size()).isEqualTo(2);
    assertThat(batch.length()).isEqualTo(4);
    assertThat(batch.realTokens()).isEqualTo(6);
    assertThat(batch.predictedTokens()).isEqualTo(1 + 3);
  }

  @Test
  void makesInt64ArraysOnTheGivenManager() {
    Batch batch = Batch.collate(List.of(Example.allLearned(new int[] {5}), Example.allLearned(new int[] {7, 8})), 0);

    try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager(); BatchArrays arrays = batch.toNDArrays(manager)) {
      assertThat(arrays.inputIds().getDataType()).isEqualTo(DataType.INT64);
      assertThat(arrays.labels().getDataType()).isEqualTo(DataType.INT64);
      assertThat(arrays.inputIds().getShape()).isEqualTo(new Shape(2, 2));
      assertThat(arrays.inputIds().toLongArray()).containsExactly(5, 0, 7, 8);
      assertThat(arrays.labels().toLongArray()).containsExactly(5, -100, 7, 8);
      assertThat(arrays.attentionMask().toLongArray()).containsExactly(1, 0, 1, 1);
      assertThat(arrays.inputIds().getManager()).isSameAs(manager);
    }
  }
}
