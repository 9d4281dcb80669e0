package dev.peft4j.runtime.io.safetensors;

import dev.peft4j.runtime.nn.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * A safetensors file, open for reading. {@link #open} reads and validates the whole header; tensors are read
 * one at a time from memory-mapped regions, so files of any size work (a single tensor is limited to 2 GiB).
 *
 * <p>F32, F16, BF16 and F64 tensors are read as float32; other dtypes may be listed in the file, but reading
 * them is refused. Thread-safe for reading.
 */
public final class SafetensorsFile implements AutoCloseable {

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;
  private final Header header;
  private volatile boolean closed;

  private SafetensorsFile(Path path, FileChannel channel, long dataStart, Header header) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.header = header;
  }

  /**
   * Opens {@code file} and validates its header: every entry, and that the tensors cover the data exactly.
   *
   * @throws SafetensorsException if the file cannot be read or is malformed, naming the file and what is wrong
   */
  public static SafetensorsFile open(Path file) {
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new SafetensorsException(file + " does not exist: check the path");
    } catch (IOException e) {
      throw new SafetensorsException(file + " cannot be opened: " + e.getMessage(), e);
    }
    try {
      long size = channel.size();
      if (size < 8) {
        throw Header.malformed(file, "it has " + size + " bytes, fewer than the 8 bytes of the header length");
      }
      long headerBytes = readFully(channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      if (Long.compareUnsigned(headerBytes, size - 8) > 0) {
        throw Header.malformed(file, "the header length says " + Long.toUnsignedString(headerBytes)
            + " bytes, but only " + (size - 8) + " follow (the file is truncated, or not safetensors)");
      }
      if (headerBytes > Header.MAX_HEADER_BYTES) {
        throw Header.malformed(file, "the header length " + headerBytes + " bytes is absurd: a safetensors header"
            + " takes at most " + Header.MAX_HEADER_BYTES + " bytes");
      }
      Header header = Header.parse(file, readFully(channel, 8, (int) headerBytes), size - 8 - headerBytes);
      return new SafetensorsFile(file, channel, 8 + headerBytes, header);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new SafetensorsException(file + " cannot be read: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  /** The file this was opened from. */
  public Path path() {
    return path;
  }

  /** Every tensor by name, in the order of their offsets in the file. */
  public Map<String, TensorInfo> tensors() {
    return header.tensors();
  }

  /** The header's {@code __metadata__} (empty when there is none). */
  public Map<String, String> metadata() {
    return header.metadata();
  }

  /**
   * The tensor named {@code name}.
   *
   * @throws SafetensorsException if there is none, naming the closest names that exist
   */
  public TensorInfo info(String name) {
    TensorInfo info = header.tensors().get(name);
    if (info == null) {
      throw new SafetensorsException(path + " has no tensor \"" + name + "\""
          + ClosestNames.describe(name, header.tensors().keySet()));
    }
    return info;
  }

  /**
   * The tensor named {@code name} as a FLOAT32 array of its shape, on {@code manager}.
   *
   * @throws SafetensorsException if there is no such tensor, its dtype is not F32, F16, BF16 or F64, or it is too large
   */
  public NDArray read(String name, NDManager manager) {
    TensorInfo info = info(name);
    float[] values = readFloats(info);
    return Tensors.of(manager, values, new Shape(info.shape()));
  }

  /**
   * The values of the tensor named {@code name} as float32, flattened in row-major order.
   *
   * @throws SafetensorsException if there is no such tensor, its dtype is not F32, F16, BF16 or F64, or it is too large
   */
  public float[] readFloats(String name) {
    return readFloats(info(name));
  }

  private float[] readFloats(TensorInfo info) {
    if (closed) {
      throw new IllegalStateException(path + " is closed: read tensors before closing the file");
    }
    Dtype dtype = Dtype.of(info.dtype()).orElseThrow();
    String where = "tensor \"" + info.name() + "\" of " + path;
    if (!Dtype.READABLE.contains(dtype)) {
      throw new SafetensorsException(where + " is " + dtype + "; peft4j reads only floating-point tensors "
          + Dtype.READABLE + " as float32. Is this tensor meant to be a weight?");
    }
    long numel = info.numel();
    if (info.byteLength() > Integer.MAX_VALUE || numel > Integer.MAX_VALUE / Float.BYTES) {
      throw new SafetensorsException(where + " is too large to read at once: " + info.byteLength() + " bytes of "
          + dtype + " (" + numel + " values); peft4j reads one tensor of at most 2 GiB, as float32, at a time."
          + " Such a model is not supported yet");
    }
    float[] values = new float[(int) numel];
    if (numel == 0) {
      return values;
    }
    ByteBuffer bytes;
    try {
      bytes = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), info.byteLength())
          .order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new SafetensorsException(where + " cannot be read: " + e.getMessage(), e);
    }
    switch (dtype) {
      case F32 -> bytes.asFloatBuffer().get(values);
      case F16 -> {
        ShortBuffer halves = bytes.asShortBuffer();
        for (int i = 0; i < values.length; i++) {
          values[i] = HalfFloats.f16ToFloat(halves.get(i));
        }
      }
      case BF16 -> {
        ShortBuffer halves = bytes.asShortBuffer();
        for (int i = 0; i < values.length; i++) {
          values[i] = HalfFloats.bf16ToFloat(halves.get(i));
        }
      }
      case F64 -> {
        DoubleBuffer doubles = bytes.asDoubleBuffer();
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) doubles.get(i);
        }
      }
      default -> throw new IllegalStateException("unreachable: " + dtype);
    }
    return values;
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(channel);
  }

  @Override
  public String toString() {
    return path + " (" + header.tensors().size() + " tensors)";
  }

  private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        throw new IOException("unexpected end of file at byte " + (position + buffer.position()));
      }
    }
    return buffer.flip();
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing was written: closing a read-only channel cannot lose data
    }
  }
}
