package dev.peft4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verifyNoInteractions;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.InOrder;

/** Checkpoints are finite, checksummed, consistent with themselves, and a damaged newest one is passed over. */
class FileCheckpointsTest {

  @TempDir
  Path dir;

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();

  @AfterEach
  void close() {
    manager.close();
  }

  private Map<String, NDArray> weights(float value) {
    Map<String, NDArray> weights = new LinkedHashMap<>();
    weights.put("a.weight", manager.full(new Shape(3, 4), value));
    weights.put("b.weight", manager.full(new Shape(4), value));
    return weights;
  }

  private Map<String, NDArray> moments() {
    Map<String, NDArray> moments = new LinkedHashMap<>();
    moments.put("exp_avg.a.weight", manager.zeros(new Shape(3, 4)));
    moments.put("exp_avg_sq.a.weight", manager.zeros(new Shape(3, 4)));
    return moments;
  }

  private static TrainerState state(long step) {
    return new TrainerState(step, 10, 7, 0, Map.of("a.weight", step), 99, List.of());
  }

  private Path save(FileCheckpoints checkpoints, long step) {
    return checkpoints.save(state(step), weights(step), moments());
  }

  private static void flipBytes(Path file, int count) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      for (int i = 0; i < count; i++) {
        long at = raf.length() - 1 - i;
        raf.seek(at);
        int b = raf.read();
        raf.seek(at);
        raf.write(b ^ 0xff);
      }
    }
  }

  @Test
  void failure1_aCheckpointOfNonFiniteWeightsIsNeverWritten() {
    FileCheckpoints checkpoints = new FileCheckpoints(dir, 0);
    Map<String, NDArray> weights = weights(1);
    weights.get("b.weight").set(new ai.djl.ndarray.index.NDIndex("1"), Float.NaN);

    assertThatThrownBy(() -> checkpoints.save(state(2), weights, moments()))
        .isInstanceOf(TrainingException.class).hasMessageContaining("NaN or infinity in b.weight");
    assertThat(dir.resolve("step-000002")).doesNotExist();
  }

  @Test
  void failure2_flippedBytesInTheWeightsAreNoticed() throws IOException {
    FileCheckpoints checkpoints = new FileCheckpoints(dir, 0);
    Path folder = save(checkpoints, 3);
    flipBytes(folder.resolve("trainable.safetensors"), 100);

    assertThatThrownBy(() -> FileCheckpoints.read(folder, manager)).isInstanceOf(TrainingException.class)
        .hasMessageContaining("trainable.safetensors does not match its checksum");
  }

  @Test
  void failure2_aStepThatContradictsTheRunOrItsFolderIsDamaged() throws IOException {
    FileCheckpoints checkpoints = new FileCheckpoints(dir, 0);
    for (String[] edit : List.of(new String[] {"\"step\": 5", "\"step\": 999999"},
        new String[] {"\"step\": 5", "\"step\": 10"}, new String[] {"\"step\": 5", "\"step\": -5"})) {
      Path folder = save(checkpoints, 5);
      Path state = folder.resolve("trainer_state.json");
      Files.writeString(state, Files.readString(state).replaceFirst(edit[0], edit[1]));

      assertThatThrownBy(() -> FileCheckpoints.read(folder, manager)).as(edit[1]).isInstanceOf(TrainingException.class)
          .hasMessageContaining("is damaged").hasMessageContaining("says step " + edit[1].substring(8));
    }
  }

  @Test
  void failure4_aDamagedNewestCheckpointIsPassedOverSayingSo() throws IOException {
    @SuppressWarnings("unchecked")
    Consumer<String> notes = mock(Consumer.class);
    FileCheckpoints checkpoints = new FileCheckpoints(dir, 0, null, notes);
    save(checkpoints, 2);
    save(checkpoints, 4);
    Path newest = save(checkpoints, 6);
    flipBytes(newest.resolve("optimizer.safetensors"), 8);

    Checkpoints.Saved saved = checkpoints.latest(manager).orElseThrow();

    assertThat(saved.state().step()).isEqualTo(4);
    InOrder order = inOrder(notes);
    order.verify(notes).accept(argThat(note -> note.contains(newest.toString()) && note.contains("is damaged")
        && note.contains("optimizer.safetensors does not match its checksum") && note.contains("passed over for step-000004")));
    order.verify(notes).accept("resuming from step-000004, the newest good checkpoint, instead");
    order.verifyNoMoreInteractions();
  }

  @Test
  void anIntactNewestCheckpointIsTakenWithoutANote() {
    @SuppressWarnings("unchecked")
    Consumer<String> notes = mock(Consumer.class);
    FileCheckpoints checkpoints = new FileCheckpoints(dir, 0, null, notes);
    save(checkpoints, 2);
    save(checkpoints, 4);

    assertThat(checkpoints.latest(manager).orElseThrow().state().step()).isEqualTo(4);
    verifyNoInteractions(notes);
  }

  @Test
  void failure4_aRenamedOrMisshapenTensorIsDamagedNotAnInternalError() throws IOException {
    FileCheckpoints checkpoints = new FileCheckpoints(dir, 0);
    Path folder = save(checkpoints, 3);
    Path optimizer = folder.resolve("optimizer.safetensors");
    // The header names the tensors and their shapes: rename one, transpose another, as the probes did.
    byte[] bytes = Files.readAllBytes(optimizer);
    String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1)
        .replace("exp_avg.a.weight", "exp_avg.x.weight").replace("[3,4]", "[4,3]");
    Files.write(optimizer, text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));

    assertThatThrownBy(() -> FileCheckpoints.read(folder, manager)).isInstanceOf(TrainingException.class)
        .hasMessageContaining("optimizer.safetensors does not match its checksum");
  }

  @Test
  void theRunIdentityIsWrittenIntoEachCheckpointWithItsChecksum() throws IOException {
    RunIdentity identity = new RunIdentity(new TreeMap<>(Map.of("training.learning-rate", "0.001")), "train.jsonl",
        "peft4j dev");
    Path folder = new FileCheckpoints(dir, 0, identity, note -> {}).save(state(1), weights(1), moments());

    assertThat(FileCheckpoints.identity(folder)).contains(identity);
    assertThat(Files.readString(folder.resolve("trainer_state.json"))).contains("\"run.json\": \"crc32c:");
    assertThat(Files.readString(folder.resolve("run.json"))).contains(identity.settingsHash());
  }
}
