package dev.peft4j.runtime.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.zip.CRC32C;

/**
 * Checksums of written files, so that a file damaged later (a flipped bit, a truncation, an edit) is noticed
 * before its contents are trusted. CRC32C: the JDK computes it with the CPU's instruction at several GB/s, so
 * checking a checkpoint costs little next to writing it, and it finds any error of up to 32 bits in a row.
 */
public final class Checksums {

  /** The prefix that names the algorithm in a stored checksum, so that another can follow. */
  static final String CRC32C_PREFIX = "crc32c:";

  private Checksums() {}

  /** {@code crc32c:} and eight hex digits. */
  public static String of(Path file) throws IOException {
    CRC32C crc = new CRC32C();
    ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      while (channel.read(buffer) >= 0) {
        buffer.flip();
        crc.update(buffer);
        buffer.clear();
      }
    }
    return CRC32C_PREFIX + String.format(Locale.ROOT, "%08x", crc.getValue());
  }
}
