package dev.peft4j.runtime.io.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Safetensors files assembled byte by byte, for tests of what the reader refuses. */
final class RawFiles {

  private RawFiles() {}

  /** A file with {@code header} (JSON text; single quotes become double quotes) and {@code dataBytes} zero bytes. */
  static Path write(Path file, String header, int dataBytes) throws IOException {
    return write(file, header.replace('\'', '"').getBytes(StandardCharsets.UTF_8), new byte[dataBytes]);
  }

  static Path write(Path file, byte[] header, byte[] data) throws IOException {
    return write(file, header.length, header, data);
  }

  /** A file whose 8-byte header length says {@code headerLength}, whatever follows. */
  static Path write(Path file, long headerLength, byte[] header, byte[] data) throws IOException {
    ByteBuffer bytes = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    bytes.putLong(headerLength).put(header).put(data);
    Files.write(file, bytes.array());
    return file;
  }

  static byte[] floats(float... values) {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      bytes.putFloat(v);
    }
    return bytes.array();
  }
}
