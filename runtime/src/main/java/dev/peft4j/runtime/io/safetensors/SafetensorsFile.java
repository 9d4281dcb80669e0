package dev.peft4j.runtime.io.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.TorchOps;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file, open for reading. {@link #open} reads and validates the whole header; tensors are read
 * one at a time from memory-mapped regions, so files of any size work (a single tensor is limited to 2 GiB).
 *
 * <p>F32, F16, BF16 and F64 tensors are read as float32 or bf16 tensors, or as Java float arrays; other dtypes may be
 * listed in the file, but reading them is refused. Thread-safe for reading.
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
   * @throws SafetensorsException if there is no such tensor or its dtype is not F32, F16, BF16 or F64
   */
  public NDArray read(String name, NDManager manager) {
    return read(name, manager, Precision.FP32);
  }

  /**
   * The tensor named {@code name} in the dtype {@code precision} stores weights in (bf16 or float32), on {@code
   * manager}. The bytes go from the memory-mapped file into libtorch's memory, converted there: never through Java
   * arrays, and a BF16 tensor into a bf16 one without a float32 copy of the whole.
   *
   * @throws SafetensorsException if there is no such tensor or its dtype is not F32, F16, BF16 or F64
   */
  public NDArray read(String name, NDManager manager, Precision precision) {
    return read(name, manager, precision, MAX_MAPPED_BYTES);
  }

  /** As {@link #read(String, NDManager, Precision)}, mapping at most {@code maxMappedBytes} of the file at once. */
  NDArray read(String name, NDManager manager, Precision precision, long maxMappedBytes) {
    TensorInfo info = info(name);
    Dtype dtype = readable(info);
    Shape shape = new Shape(info.shape());
    if (info.numel() == 0) {
      return precision.store(manager.zeros(shape, DataType.FLOAT32));
    }
    // A memory map covers at most 2 GiB: larger tensors (a 128k-token embedding in bf16) are read in pieces, and so
    // is any tensor that is converted, so that the conversion's intermediates stay small.
    long elementBytes = dtype.bits / 8;
    long piece = Math.max(elementBytes, (maxMappedBytes / elementBytes) * elementBytes);
    if (dtype != Dtype.F32 || precision != Precision.FP32) {
      piece = Math.min(piece, CONVERTED_PIECE_VALUES * elementBytes);
    }
    List<NDArray> pieces = new ArrayList<>();
    try {
      for (long offset = 0; offset < info.byteLength(); offset += piece) {
        long length = Math.min(piece, info.byteLength() - offset);
        ByteBuffer map = map(info, offset, length);
        try (NDScope scope = new NDScope()) { // closes the arrays that view the map; the piece is a copy
          NDArray flat = decode(map, dtype, length / elementBytes, manager, precision);
          NDScope.unregister(flat);
          pieces.add(flat);
        } finally {
          Unmapping.unmap(map); // each piece's pages leave the process as soon as they are copied
        }
      }
    } catch (RuntimeException e) {
      pieces.forEach(NDArray::close);
      throw e;
    }
    NDArray whole;
    if (pieces.size() == 1) {
      whole = pieces.get(0).reshape(shape);
    } else {
      try (NDScope scope = new NDScope()) {
        whole = NDArrays.concat(new NDList(pieces)).reshape(shape);
        NDScope.unregister(whole);
      }
    }
    pieces.forEach(NDArray::close); // whole is a view of the one piece, or a copy of them all
    return whole;
  }

  /**
   * At most this many values are converted at once (bf16 bit patterns rebuilt, float32 cast to bf16, F16 and F64
   * cast): rebuilding bf16 values in libtorch took about 20 bytes a value more than reading float32, so about 5 MB a
   * piece.
   * Measured (bench/README.md, "The planner against measured peaks"): a run whose bf16 file has a 65.5 M-value head
   * peaked at 2,639–2,668 MiB with the head converted whole, 1,147–1,245 in pieces of 1 M values and 1,074–1,111 in
   * pieces of this size, and ran in half the time.
   */
  static final long CONVERTED_PIECE_VALUES = 1L << 18;

  /** At most this many bytes are mapped at once. */
  static final long MAX_MAPPED_BYTES = 1L << 30;

  private Dtype readable(TensorInfo info) {
    if (closed) {
      throw new IllegalStateException(path + " is closed: read tensors before closing the file");
    }
    Dtype dtype = Dtype.of(info.dtype()).orElseThrow();
    if (!Dtype.READABLE.contains(dtype)) {
      throw new SafetensorsException("tensor \"" + info.name() + "\" of " + path + " is " + dtype
          + "; peft4j reads only floating-point tensors " + Dtype.READABLE + ". Is this tensor meant to be a weight?");
    }
    return dtype;
  }

  private ByteBuffer map(TensorInfo info, long offset, long length) {
    try {
      return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin() + offset, length)
          .order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new SafetensorsException("tensor \"" + info.name() + "\" of " + path + " cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * {@code count} values of {@code dtype} from {@code bytes} as a flat array in {@code precision}'s storage dtype,
   * copied into libtorch's memory (the map is not kept).
   */
  private static NDArray decode(ByteBuffer bytes, Dtype dtype, long count, NDManager manager, Precision precision) {
    Shape flat = new Shape(count);
    return switch (dtype) {
      case BF16 -> {
        NDArray bf16 = TorchOps.get().bf16FromBytes(manager.create(bytes, new Shape(2 * count), DataType.UINT8));
        yield precision == Precision.BF16 ? bf16 : TorchOps.get().toFloat32(bf16);
      }
      case F32 -> {
        NDArray copy = manager.create(bytes, flat, DataType.FLOAT32).duplicate();
        yield precision == Precision.BF16 ? TorchOps.get().toBf16(copy) : copy;
      }
      case F16, F64 -> precision.compute(
          manager.create(bytes, flat, dtype == Dtype.F16 ? DataType.FLOAT16 : DataType.FLOAT64).toType(DataType.FLOAT32, true));
      default -> throw new IllegalStateException("unreachable: " + dtype);
    };
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
    Dtype dtype = readable(info);
    String where = "tensor \"" + info.name() + "\" of " + path;
    long numel = info.numel();
    if (info.byteLength() > Integer.MAX_VALUE || numel > Integer.MAX_VALUE / Float.BYTES) {
      throw new SafetensorsException(where + " is too large to read into a Java array: " + info.byteLength()
          + " bytes of " + dtype + " (" + numel + " values); read it as a tensor instead");
    }
    float[] values = new float[(int) numel];
    if (numel == 0) {
      return values;
    }
    ByteBuffer bytes = map(info, 0, info.byteLength());
    try {
      copy(bytes, dtype, values);
    } finally {
      Unmapping.unmap(bytes);
    }
    return values;
  }

  private static void copy(ByteBuffer bytes, Dtype dtype, float[] values) {
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
