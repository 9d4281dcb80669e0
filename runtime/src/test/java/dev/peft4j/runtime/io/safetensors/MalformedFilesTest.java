package dev.peft4j.runtime.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every malformed file is refused on open, with a message naming the file, the tensor, what is wrong and what to do. */
class MalformedFilesTest {

  private static final String DAMAGED = "the file is damaged or was not written as safetensors: write it again, or download it again";

  @TempDir
  Path dir;

  private Path file() {
    return dir.resolve("bad.safetensors");
  }

  private AbstractThrowableAssert<?, ? extends Throwable> refused(Path file) {
    return assertThatThrownBy(() -> SafetensorsFile.open(file).close())
        .isInstanceOf(SafetensorsException.class)
        .hasMessageStartingWith(file + ": ");
  }

  private AbstractThrowableAssert<?, ? extends Throwable> refusedHeader(String header, int dataBytes) throws IOException {
    return refused(RawFiles.write(file(), header, dataBytes)).hasMessageEndingWith(". " + DAMAGED);
  }

  @Test
  void aFileShorterThanEightBytes() throws IOException {
    Files.write(file(), new byte[] {1, 2, 3});
    refused(file()).hasMessage(file() + ": it has 3 bytes, fewer than the 8 bytes of the header length. " + DAMAGED);
  }

  @Test
  void aHeaderLengthLargerThanTheFile() throws IOException {
    RawFiles.write(file(), 1000, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);
    refused(file()).hasMessageContaining("the header length says 1000 bytes, but only 2 follow (the file is truncated, or not safetensors)");
    // a pickle or any other file: its first 8 bytes make a huge (unsigned) number
    RawFiles.write(file(), -2, new byte[8], new byte[0]);
    refused(file()).hasMessageContaining("the header length says 18446744073709551614 bytes, but only 8 follow");
  }

  @Test
  void anAbsurdHeaderLength() throws IOException {
    long length = Header.MAX_HEADER_BYTES + 1;
    RawFiles.write(file(), length, new byte[0], new byte[0]);
    try (RandomAccessFile sparse = new RandomAccessFile(file().toFile(), "rw")) {
      sparse.setLength(8 + length); // sparse: no disk used
    }
    refused(file()).hasMessageContaining("the header length 100000001 bytes is absurd: a safetensors header takes at most 100000000 bytes");
  }

  @Test
  void aHeaderThatIsNotUtf8() throws IOException {
    RawFiles.write(file(), new byte[] {'{', '"', (byte) 0xff, '"', ':', '1', '}', ' '}, new byte[0]);
    refused(file()).hasMessage(file() + ": the header is not valid UTF-8 text. " + DAMAGED);
  }

  @Test
  void aHeaderThatIsNotJson() throws IOException {
    refusedHeader("{'a': {'dtype': 'F32',", 0).hasMessageContaining("the header is not valid JSON (");
    refusedHeader("{'a': 1} trailing", 0).hasMessageContaining("the header ");
    refusedHeader("{'a': NaN}", 0).hasMessageContaining("the header is not valid JSON (");
    refusedHeader("", 0).hasMessageContaining("the header is empty; it must be a JSON object of tensors");
  }

  @Test
  void aHeaderThatIsNotAnObject() throws IOException {
    refusedHeader("[1, 2]", 0).hasMessageContaining("the header is an array, not a JSON object of tensors");
    refusedHeader("'text'", 0).hasMessageContaining("the header is the string \"text\", not a JSON object of tensors");
  }

  @Test
  void anEntryThatIsNotAnObject() throws IOException {
    refusedHeader("{'w': [1]}", 0).hasMessageContaining("tensor \"w\" is an array, not an object with dtype, shape and data_offsets");
  }

  @Test
  void anEntryMissingDtypeShapeOrOffsets() throws IOException {
    refusedHeader("{'w': {'shape': [1], 'data_offsets': [0, 4]}}", 4)
        .hasMessageContaining("tensor \"w\" has no dtype (an entry needs dtype, shape and data_offsets)");
    refusedHeader("{'w': {'dtype': 'F32', 'data_offsets': [0, 4]}}", 4).hasMessageContaining("tensor \"w\" has no shape");
    refusedHeader("{'w': {'dtype': 'F32', 'shape': [1]}}", 4).hasMessageContaining("tensor \"w\" has no data_offsets");
  }

  @Test
  void anEntryWithWrongTypes() throws IOException {
    refusedHeader("{'w': {'dtype': 32, 'shape': [1], 'data_offsets': [0, 4]}}", 4)
        .hasMessageContaining("tensor \"w\": dtype must be a string such as \"F32\", but it is 32");
    refusedHeader("{'w': {'dtype': 'F32', 'shape': 1, 'data_offsets': [0, 4]}}", 4)
        .hasMessageContaining("tensor \"w\": shape must be an array of integers, but it is 1");
    refusedHeader("{'w': {'dtype': 'F32', 'shape': [1.5], 'data_offsets': [0, 4]}}", 4)
        .hasMessageContaining("tensor \"w\": shape must be an array of integers, but it is [1.5]");
    refusedHeader("{'w': {'dtype': 'F32', 'shape': ['1'], 'data_offsets': [0, 4]}}", 4)
        .hasMessageContaining("shape must be an array of integers, but it is [\"1\"]");
    refusedHeader("{'w': {'dtype': 'F32', 'shape': [1], 'data_offsets': [0, 4, 8]}}", 4)
        .hasMessageContaining("tensor \"w\": data_offsets must be an array of 2 integers, but it is [0,4,8]");
    refusedHeader("{'w': {'dtype': 'F32', 'shape': [1], 'data_offsets': [0, 1e30]}}", 4)
        .hasMessageContaining("tensor \"w\": data_offsets must be an array of 2 integers");
  }

  @Test
  void anUnknownDtype() throws IOException {
    RawFiles.write(file(), "{'w': {'dtype': 'F128', 'shape': [1], 'data_offsets': [0, 16]}}", 16);
    refused(file()).hasMessage(file() + ": tensor \"w\" has the unknown dtype \"F128\". The safetensors dtypes are "
        + Dtype.names() + ": the file was written by a newer or foreign tool; save the tensor in one of these");
  }

  @Test
  void aNegativeDimension() throws IOException {
    refusedHeader("{'w': {'dtype': 'F32', 'shape': [2, -1], 'data_offsets': [0, 0]}}", 0)
        .hasMessageContaining("tensor \"w\" has a negative dimension in its shape [2, -1]");
  }

  @Test
  void offsetsOutOfRange() throws IOException {
    refusedHeader("{'w': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]}}", 4)
        .hasMessageContaining("tensor \"w\" has data_offsets [0, 8] beyond the data buffer, which holds 4 bytes (the file is truncated?)");
    refusedHeader("{'w': {'dtype': 'F32', 'shape': [1], 'data_offsets': [-4, 0]}}", 4)
        .hasMessageContaining("tensor \"w\" has negative data_offsets [-4, 0]");
  }

  @Test
  void anEndBeforeTheBeginning() throws IOException {
    refusedHeader("{'w': {'dtype': 'F32', 'shape': [1], 'data_offsets': [4, 0]}}", 4)
        .hasMessageContaining("tensor \"w\" ends before it begins: data_offsets [4, 0]");
  }

  @Test
  void aByteLengthThatDoesNotMatchTheShape() throws IOException {
    refusedHeader("{'w': {'dtype': 'BF16', 'shape': [3, 2], 'data_offsets': [0, 8]}}", 8)
        .hasMessageContaining("tensor \"w\" takes 8 bytes (data_offsets [0, 8]), but its shape [3, 2] of BF16 needs 12 bytes");
    refusedHeader("{'w': {'dtype': 'F4', 'shape': [3], 'data_offsets': [0, 2]}}", 2)
        .hasMessageContaining("needs a number of bytes that is not whole or too large");
    refusedHeader("{'w': {'dtype': 'F32', 'shape': [4294967296, 4294967296], 'data_offsets': [0, 4]}}", 4)
        .hasMessageContaining("needs a number of bytes that is not whole or too large");
  }

  @Test
  void overlappingTensors() throws IOException {
    refusedHeader("{'a': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]},"
        + " 'b': {'dtype': 'F32', 'shape': [2], 'data_offsets': [4, 12]}}", 12)
        .hasMessageContaining("tensors \"a\" (bytes 0..8) and \"b\" (bytes 4..12) overlap");
  }

  @Test
  void holesInTheBuffer() throws IOException {
    refusedHeader("{'a': {'dtype': 'F32', 'shape': [1], 'data_offsets': [0, 4]},"
        + " 'b': {'dtype': 'F32', 'shape': [1], 'data_offsets': [8, 12]}}", 12)
        .hasMessageContaining("bytes 4..8 of the data buffer, between tensors \"a\" and \"b\", belong to no tensor (a hole)");
    refusedHeader("{'b': {'dtype': 'F32', 'shape': [1], 'data_offsets': [4, 8]}}", 8)
        .hasMessageContaining("the data buffer begins with 4 bytes that belong to no tensor (the first tensor, \"b\", begins at byte 4)");
    refusedHeader("{'a': {'dtype': 'F32', 'shape': [1], 'data_offsets': [0, 4]}}", 6)
        .hasMessageContaining("the last 2 bytes of the data buffer, after tensor \"a\", belong to no tensor");
    refusedHeader("{}", 3).hasMessageContaining("the last 3 bytes of the data buffer belong to no tensor");
  }

  @Test
  void metadataThatIsNotStringToString() throws IOException {
    refusedHeader("{'__metadata__': {'format': 'pt', 'step': 3}}", 0)
        .hasMessageContaining("__metadata__ must map strings to strings, but \"step\" is 3");
    refusedHeader("{'__metadata__': ['pt']}", 0)
        .hasMessageContaining("__metadata__ must be an object of strings, but it is an array");
  }

  @Test
  void aFileThatCannotBeOpened() {
    Path missing = dir.resolve("missing.safetensors");
    assertThatThrownBy(() -> SafetensorsFile.open(missing)).isInstanceOf(SafetensorsException.class)
        .hasMessage(missing + " does not exist: check the path");
    assertThatThrownBy(() -> SafetensorsFile.open(dir)).isInstanceOf(SafetensorsException.class)
        .hasMessageStartingWith(dir + " cannot be ");
  }

  @Test
  void wellFormedEdgeCasesAreAccepted() throws IOException {
    // no tensors; zero-length tensors; metadata null; other dtypes; keys the format does not know are ignored
    try (SafetensorsFile f = SafetensorsFile.open(RawFiles.write(file(), "{}", 0))) {
      assertThat(f.tensors()).isEmpty();
      assertThat(f.metadata()).isEmpty();
    }
    RawFiles.write(file(), "{'__metadata__': null, 'e': {'dtype': 'F32', 'shape': [0, 5], 'data_offsets': [0, 0]},"
        + " 'i': {'dtype': 'I64', 'shape': [1], 'data_offsets': [0, 8], 'extra': true},"
        + " 'f4': {'dtype': 'F4', 'shape': [2], 'data_offsets': [8, 9]}}", 9);
    try (SafetensorsFile f = SafetensorsFile.open(file())) {
      assertThat(f.tensors().keySet()).containsExactly("e", "i", "f4");
      assertThat(f.tensors().get("i").dtype()).isEqualTo("I64");
    }
  }
}
