package dev.peft4j.runtime.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write either replaces the file whole or leaves the previous one untouched, and never leaves a temporary file. */
class AtomicWriteTest {

  @TempDir
  Path dir;

  private List<String> filesInDir() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static SafetensorsWriter.Pending tensor(String name, float... values) {
    return new SafetensorsWriter.Pending(name, new long[] {values.length}, () -> SafetensorsWriter.Values.of(values));
  }

  @Test
  void aWriteLeavesOnlyTheFile() throws IOException {
    Path file = dir.resolve("model.safetensors");
    SafetensorsWriter.write(file, List.of(tensor("a", 1, 2)), Map.of(), Dtype.F32);
    SafetensorsWriter.write(file, List.of(tensor("a", 3, 4)), Map.of(), Dtype.F32); // replaces
    assertThat(filesInDir()).containsExactly("model.safetensors");
    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      assertThat(read.readFloats("a")).containsExactly(3, 4);
    }
  }

  @Test
  void theFileGetsThePermissionsOfAnyNewFileNotThoseOfAPrivateTemporaryFile() throws IOException {
    Path file = dir.resolve("model.safetensors");
    SafetensorsWriter.write(file, List.of(tensor("a", 1)), Map.of(), Dtype.F32);
    Path plain = Files.createFile(dir.resolve("plain"));
    if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
      assertThat(Files.getPosixFilePermissions(file)).isEqualTo(Files.getPosixFilePermissions(plain));
    }
  }

  @Test
  void aWriteThatFailsMidwayLeavesThePreviousFileIntact() throws IOException {
    Path file = dir.resolve("model.safetensors");
    SafetensorsWriter.write(file, List.of(tensor("a", 1, 2)), Map.of(), Dtype.F32);
    byte[] before = Files.readAllBytes(file);

    float[] many = new float[1 << 20]; // the first tensor (4 MiB) is on its way to the disk when the second fails
    SafetensorsWriter.Pending failing = new SafetensorsWriter.Pending("b", new long[] {2}, () -> {
      throw new IllegalStateException("the array was closed");
    });
    assertThatThrownBy(() -> SafetensorsWriter.write(file, List.of(tensor("a", many), failing), Map.of(), Dtype.BF16))
        .isInstanceOf(IllegalStateException.class).hasMessage("the array was closed");

    assertThat(Files.readAllBytes(file)).isEqualTo(before);
    assertThat(filesInDir()).containsExactly("model.safetensors");
  }

  @Test
  void aDiskErrorMidwayIsReportedAndLeavesThePreviousFileIntact() throws IOException {
    Path file = dir.resolve("model.safetensors");
    Files.writeString(file, "the previous file");
    assertThatThrownBy(() -> SafetensorsWriter.writeAtomically(file, channel -> {
      channel.write(ByteBuffer.wrap(new byte[1000]));
      throw new IOException("No space left on device");
    })).isInstanceOf(SafetensorsException.class)
        .hasMessage(file + " cannot be written (java.io.IOException: No space left on device); any previous"
            + " model.safetensors is unchanged. Check the free disk space and the folder's permissions");
    assertThat(Files.readString(file)).isEqualTo("the previous file");
    assertThat(filesInDir()).containsExactly("model.safetensors");
  }

  @Test
  void aFailedFirstWriteLeavesNothing() throws IOException {
    Path file = dir.resolve("sub/model.safetensors");
    SafetensorsWriter.Pending wrongLength = new SafetensorsWriter.Pending("w", new long[] {3}, () -> SafetensorsWriter.Values.of(new float[2]));
    assertThatThrownBy(() -> SafetensorsWriter.write(file, List.of(wrongLength), Map.of(), Dtype.F32))
        .isInstanceOf(IllegalStateException.class).hasMessage("tensor \"w\" has 2 values for shape [3]");
    assertThat(file).doesNotExist();
    try (Stream<Path> files = Files.list(dir.resolve("sub"))) {
      assertThat(files).isEmpty();
    }
  }
}
