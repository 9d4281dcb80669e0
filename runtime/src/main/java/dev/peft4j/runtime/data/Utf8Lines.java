package dev.peft4j.runtime.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The lines of a UTF-8 file, one at a time, each decoded on its own: a byte sequence that is not UTF-8 is an error
 * of its own line (a {@link MalformedLine}, which a reader may skip), not of the whole file at whatever line the
 * decoder's buffer happened to reach. A line's bytes are kept once, in a buffer reused from line to line, and
 * decoded once into its string. Lines end at {@code \n}, {@code \r\n} or {@code \r}, as {@code BufferedReader}'s.
 */
final class Utf8Lines implements AutoCloseable {

  /** A line that is not UTF-8, and where in it the first bad byte is. */
  static final class MalformedLine extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedLine(String message) {
      super(message, null, false, false);
    }
  }

  private final InputStream in;
  private final byte[] chunk = new byte[1 << 16];
  private int chunkStart;
  private int chunkEnd;
  private byte[] line = new byte[1 << 12];
  private int length;
  private boolean skipNewline;

  Utf8Lines(InputStream in) {
    this.in = Objects.requireNonNull(in, "in is null");
  }

  /**
   * The next line without its terminator, or null at the end of the file.
   *
   * @throws MalformedLine when the line is not UTF-8 (the next call reads the line after it)
   */
  String next() throws IOException, MalformedLine {
    length = 0;
    boolean any = false;
    while (true) {
      if (chunkStart == chunkEnd) {
        chunkEnd = in.read(chunk);
        chunkStart = 0;
        if (chunkEnd <= 0) {
          chunkEnd = 0;
          return any ? decode() : null;
        }
      }
      if (skipNewline) {
        skipNewline = false;
        if (chunk[chunkStart] == '\n') {
          chunkStart++;
          continue;
        }
      }
      any = true;
      int end = chunkStart;
      while (end < chunkEnd && chunk[end] != '\n' && chunk[end] != '\r') {
        end++;
      }
      append(chunkStart, end - chunkStart);
      if (end < chunkEnd) {
        skipNewline = chunk[end] == '\r';
        chunkStart = end + 1;
        return decode();
      }
      chunkStart = chunkEnd;
    }
  }

  private void append(int from, int count) {
    if (length + count > line.length) {
      line = Arrays.copyOf(line, Math.max(length + count, (int) Math.min(Integer.MAX_VALUE - 8, 2L * line.length)));
    }
    System.arraycopy(chunk, from, line, length, count);
    length += count;
  }

  /**
   * The line as a string. Checked byte by byte first, because the JDK's decoding into a string replaces bad bytes
   * silently; checking in place, then decoding once, keeps the line's bytes and its string and nothing more.
   */
  private String decode() throws MalformedLine {
    int bad = firstInvalid(line, length);
    if (bad >= 0) {
      throw new MalformedLine("not UTF-8 text: byte " + (bad + 1) + " of the line (0x"
          + String.format("%02x", line[bad] & 0xff) + ") is not part of a UTF-8 character; save the file as UTF-8");
    }
    String text = new String(line, 0, length, StandardCharsets.UTF_8);
    // Long lines are rare: do not keep a buffer of the longest one for the rest of the file.
    if (line.length > (1 << 20)) {
      line = new byte[1 << 12];
    }
    return text;
  }

  /** The index of the first byte that breaks UTF-8 (RFC 3629: no overlong forms, no surrogates), or -1. */
  static int firstInvalid(byte[] bytes, int length) {
    int i = 0;
    while (i < length) {
      int b = bytes[i] & 0xff;
      if (b < 0x80) {
        i++;
        continue;
      }
      int count;
      int min;
      if (b >= 0xc2 && b <= 0xdf) {
        count = 1;
        min = 0x80;
      } else if (b >= 0xe0 && b <= 0xef) {
        count = 2;
        min = 0x800;
      } else if (b >= 0xf0 && b <= 0xf4) {
        count = 3;
        min = 0x10000;
      } else {
        return i;
      }
      int code = b & (0x3f >> count);
      for (int k = 1; k <= count; k++) {
        if (i + k >= length || (bytes[i + k] & 0xc0) != 0x80) {
          return i;
        }
        code = (code << 6) | (bytes[i + k] & 0x3f);
      }
      if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        return i;
      }
      i += count + 1;
    }
    return -1;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

}
