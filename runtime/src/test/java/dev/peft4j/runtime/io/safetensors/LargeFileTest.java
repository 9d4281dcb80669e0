package dev.peft4j.runtime.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.TorchOps;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files beyond 2 GiB: offsets past the int range, tensors mapped one at a time. The file is sparse (its length is
 * set, its big tensors are never written), so the test is fast and takes no real disk space.
 */
class LargeFileTest {

  private static final long BIG_U8 = 2_200_000_000L;        // > 2^31 bytes
  private static final long TOO_BIG_F32 = (1L << 31) / 4;    // 2^31 bytes: one more than a read may take

  @TempDir
  Path dir;

  @Test
  void aSparseFileOfMoreThan4GiBOpensAndItsSmallTensorAfterTheBigOnesReads() throws IOException {
    long small = BIG_U8 + TOO_BIG_F32 * 4;
    String header = ("{'__metadata__': {'format': 'pt'},"
        + " 'big': {'dtype': 'U8', 'shape': [" + BIG_U8 + "], 'data_offsets': [0, " + BIG_U8 + "]},"
        + " 'too_big': {'dtype': 'F32', 'shape': [" + TOO_BIG_F32 + "], 'data_offsets': [" + BIG_U8 + ", " + small + "]},"
        + " 'small': {'dtype': 'F32', 'shape': [2, 2], 'data_offsets': [" + small + ", " + (small + 16) + "]}}")
        .replace('\'', '"');
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    Path file = dir.resolve("large.safetensors");
    try {
      try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
        raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
        raf.write(json);
        long dataStart = 8 + json.length;
        raf.setLength(dataStart + small + 16);
        raf.seek(dataStart + small);
        raf.write(RawFiles.floats(1.5f, -2f, 3.25f, 1e-3f));
      }
      assertThat(Files.size(file)).isGreaterThan(4L << 30);

      try (SafetensorsFile read = SafetensorsFile.open(file); NDManager manager = NDManager.newBaseManager()) {
        assertThat(read.tensors().keySet()).containsExactly("big", "too_big", "small");
        assertThat(read.tensors().get("big").numel()).isEqualTo(BIG_U8);
        assertThat(read.readFloats("small")).containsExactly(1.5f, -2f, 3.25f, 1e-3f);
        assertThat(read.read("small", manager).getShape()).isEqualTo(new Shape(2, 2));
        assertThatThrownBy(() -> read.readFloats("too_big")).isInstanceOf(SafetensorsException.class)
            .hasMessage("tensor \"too_big\" of " + file + " is too large to read into a Java array: 2147483648 bytes"
                + " of F32 (536870912 values); read it as a tensor instead");
        // A tensor larger than one memory map is read in pieces: here, maps of 8 bytes.
        assertThat(read.read("small", manager, Precision.FP32, 8).toFloatArray()).containsExactly(1.5f, -2f, 3.25f, 1e-3f);
        assertThat(TorchOps.get().toFloat32(read.read("small", manager, Precision.BF16, 8)).toFloatArray())
            .containsExactly(1.5f, -2f, 3.25f, HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(1e-3f)));
        assertThatThrownBy(() -> read.readFloats("big")).isInstanceOf(SafetensorsException.class)
            .hasMessageContaining("is U8; peft4j reads only floating-point tensors");
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
