package dev.peft4j.runtime.io.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.peft4j.runtime.nn.TorchOps;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes safetensors files that Python's {@code safetensors} and transformers load: tensors in the iteration order
 * of the map given (use a {@link LinkedHashMap}), metadata sorted by key, a compact JSON header padded with spaces
 * to a multiple of 8 bytes as the reference implementation pads it. The same input always makes the same bytes.
 *
 * <p>Each file is written atomically: to a temporary file in the same folder, flushed to the disk, then
 * renamed over the target, so a failure (or a crash) leaves the previous file intact and no half-written file.
 * A sharded checkpoint is a set of files, each atomic; the folder as a whole is not: write a checkpoint that
 * must survive a crash into a fresh folder, then rename the folder.
 *
 * <p>Unless the metadata states a {@code format}, {@code "format": "pt"} is added, as transformers'
 * {@code save_pretrained} does: transformers refuses a file whose metadata lacks it.
 */
public final class SafetensorsWriter {

  private static final int CHUNK_BYTES = 1 << 20;
  private static final long SLICE_VALUES = 1L << 28;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern SHARD_NAME = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");

  private SafetensorsWriter() {}

  /** Writes {@code tensors} to {@code file} as F32. */
  public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) {
    write(file, tensors, metadata, "F32");
  }

  /**
   * Writes {@code tensors} (FLOAT32, FLOAT16, FLOAT64 or bf16 arrays) to {@code file} as {@code dtype}.
   *
   * @param dtype {@code "F32"}, {@code "BF16"} or {@code "F16"}; BF16 and F16 round to nearest, ties to even
   * @throws SafetensorsException if the file cannot be written; the previous file, if any, is then intact
   */
  public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata, String dtype) {
    write(file, pending(tensors), metadata, writable(dtype));
  }

  /** Writes {@code tensors} into the model folder {@code folder} as F32, in shards of at most {@code maxShardBytes}. */
  public static void writeSharded(Path folder, Map<String, NDArray> tensors, Map<String, String> metadata, long maxShardBytes) {
    writeSharded(folder, tensors, metadata, maxShardBytes, "F32");
  }

  /**
   * Writes {@code tensors} into the model folder {@code folder} as {@code dtype}: shards
   * {@code model-00001-of-0000N.safetensors} of at most {@code maxShardBytes} of tensor data each (a larger tensor
   * gets a shard of its own) and {@code model.safetensors.index.json}; or a single {@code model.safetensors}
   * when everything fits in one shard. Weight files of an earlier save in another layout are removed afterwards,
   * so that the folder holds one checkpoint.
   */
  public static void writeSharded(Path folder, Map<String, NDArray> tensors, Map<String, String> metadata,
      long maxShardBytes, String dtype) {
    writeSharded(folder, pending(tensors), metadata, maxShardBytes, writable(dtype));
  }

  /** A tensor waiting to be written; its values are fetched only when its turn comes, and released once written. */
  record Pending(String name, long[] shape, Supplier<Values> values) {
    Pending {
      Objects.requireNonNull(name, "tensor name is null");
      if (name.equals(Header.METADATA_KEY)) {
        throw new IllegalArgumentException("a tensor cannot be named " + Header.METADATA_KEY
            + ": the name is reserved for the metadata");
      }
    }

    long numel() {
      return new TensorInfo(name, "F32", shape, 0, 0).numel();
    }
  }

  /**
   * A tensor's values as float32 bytes, in order and in each buffer's byte order (libtorch's memory itself, for an
   * fp32 array), and what to release once they are written.
   */
  record Values(List<ByteBuffer> buffers, Runnable release) implements AutoCloseable {

    static Values of(float... values) {
      ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      bytes.asFloatBuffer().put(values);
      return new Values(List.of(bytes), () -> { });
    }

    long count() {
      return buffers.stream().mapToLong(ByteBuffer::remaining).sum() / Float.BYTES;
    }

    @Override
    public void close() {
      release.run();
    }
  }

  static void write(Path file, List<Pending> tensors, Map<String, String> metadata, Dtype dtype) {
    byte[] header = header(tensors, metadata, dtype);
    writeAtomically(file, channel -> {
      ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
      writeFully(channel, length);
      writeFully(channel, ByteBuffer.wrap(header));
      // One buffer for the whole file's conversions, no larger than its largest tensor (every buffer the Java heap
      // allocates touches fresh pages of it until the next collection: bench/plan-check measured 1 MiB a tensor
      // adding ~130 MiB to the peak of a short LoRA run that saves a checkpoint and an adapter); none when float32
      // values go to the file as libtorch holds them.
      boolean converts = dtype != Dtype.F32 || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN;
      long largest = tensors.stream().mapToLong(t -> dtype.bytes(t.numel())).max().orElse(0);
      ByteBuffer chunk = ByteBuffer.allocate(converts ? (int) Math.max(Float.BYTES, Math.min(CHUNK_BYTES, largest)) : 0)
          .order(ByteOrder.LITTLE_ENDIAN);
      for (Pending tensor : tensors) {
        writeValues(channel, tensor, dtype, chunk);
      }
    });
  }

  static void writeSharded(Path folder, List<Pending> tensors, Map<String, String> metadata, long maxShardBytes, Dtype dtype) {
    if (maxShardBytes <= 0) {
      throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
    }
    List<List<Pending>> shards = new ArrayList<>();
    long shardBytes = 0;
    long totalBytes = 0;
    for (Pending tensor : tensors) {
      long bytes = dtype.bytes(tensor.numel());
      if (shards.isEmpty() || (!shards.get(shards.size() - 1).isEmpty() && shardBytes + bytes > maxShardBytes)) {
        shards.add(new ArrayList<>());
        shardBytes = 0;
      }
      shards.get(shards.size() - 1).add(tensor);
      shardBytes += bytes;
      totalBytes += bytes;
    }
    if (shards.size() <= 1) {
      write(folder.resolve(SafetensorsCheckpoint.SINGLE_FILE), tensors, metadata, dtype);
      removeStale(folder, Set.of(SafetensorsCheckpoint.SINGLE_FILE));
      return;
    }
    Set<String> written = new LinkedHashSet<>();
    Map<String, String> weightMap = new LinkedHashMap<>();
    for (int i = 0; i < shards.size(); i++) {
      String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
      write(folder.resolve(name), shards.get(i), metadata, dtype);
      shards.get(i).forEach(t -> weightMap.put(t.name(), name));
      written.add(name);
    }
    JsonObject index = new JsonObject();
    JsonObject indexMetadata = new JsonObject();
    indexMetadata.addProperty("total_size", totalBytes);
    index.add("metadata", indexMetadata);
    JsonObject map = new JsonObject();
    weightMap.forEach(map::addProperty);
    index.add("weight_map", map);
    byte[] json = (new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(index) + "\n")
        .getBytes(StandardCharsets.UTF_8);
    writeAtomically(folder.resolve(SafetensorsCheckpoint.INDEX_FILE), channel -> writeFully(channel, ByteBuffer.wrap(json)));
    written.add(SafetensorsCheckpoint.INDEX_FILE);
    removeStale(folder, written);
  }

  private static Dtype writable(String dtype) {
    return Dtype.of(dtype).filter(Dtype.WRITABLE::contains).orElseThrow(() -> new IllegalArgumentException(
        "dtype \"" + dtype + "\" cannot be written: choose one of " + Dtype.WRITABLE));
  }

  private static List<Pending> pending(Map<String, NDArray> tensors) {
    List<Pending> pending = new ArrayList<>();
    tensors.forEach((name, array) -> {
      DataType type = array.getDataType();
      if (type != DataType.FLOAT32 && type != DataType.FLOAT16 && type != DataType.FLOAT64 && !TorchOps.isBf16(array)) {
        throw new IllegalArgumentException("tensor \"" + name + "\" is " + type + "; the safetensors writer takes"
            + " floating-point arrays: FLOAT32, FLOAT16, FLOAT64 or bf16");
      }
      pending.add(new Pending(name, array.getShape().getShape(), () -> values(array, SLICE_VALUES)));
    });
    return pending;
  }

  /**
   * An array's values straight from libtorch's memory ({@code toByteBuffer(true)}: a direct buffer over the tensor,
   * no copy through the Java heap), in slices of at most {@code sliceValues} (a buffer holds less than 2 GiB, and an
   * embedding of 152 k × 3584 float32 values is 2.2 GB); another dtype is converted to an fp32 array first (bf16 and
   * F16 values are exact in float32, so writing them back in their own dtype loses nothing). The scope closes what
   * this makes: the conversion, a strided array's contiguous copy and the slices (views).
   */
  static Values values(NDArray array, long sliceValues) {
    long n = array.getShape().size();
    if (n == 0) {
      return Values.of();
    }
    NDScope scope = new NDScope();
    try {
      NDArray floats = array.getDataType() == DataType.FLOAT32 ? array
          : TorchOps.isBf16(array) ? TorchOps.get().toFloat32(array.stopGradient())
          : array.toType(DataType.FLOAT32, false);
      List<ByteBuffer> buffers = new ArrayList<>();
      if (n <= sliceValues) {
        buffers.add(floats.toByteBuffer(true));
      } else {
        NDArray flat = floats.reshape(-1);
        for (long start = 0; start < n; start += sliceValues) {
          buffers.add(flat.get(new NDIndex("{}:{}", start, Math.min(n, start + sliceValues))).toByteBuffer(true));
        }
      }
      return new Values(buffers, scope::close);
    } catch (RuntimeException e) {
      scope.close();
      throw e;
    }
  }

  private static byte[] header(List<Pending> tensors, Map<String, String> metadata, Dtype dtype) {
    JsonObject root = new JsonObject();
    Map<String, String> allMetadata = new TreeMap<>(); // sorted: the same metadata makes the same bytes
    if (metadata == null || !metadata.containsKey("format")) {
      allMetadata.put("format", "pt");
    }
    if (metadata != null) {
      allMetadata.putAll(metadata);
    }
    JsonObject metadataJson = new JsonObject();
    allMetadata.forEach(metadataJson::addProperty);
    root.add(Header.METADATA_KEY, metadataJson);
    long offset = 0;
    for (Pending tensor : tensors) {
      long bytes = dtype.bytes(tensor.numel());
      JsonObject entry = new JsonObject();
      entry.addProperty("dtype", dtype.name());
      JsonArray shape = new JsonArray();
      for (long d : tensor.shape()) {
        shape.add(d);
      }
      entry.add("shape", shape);
      JsonArray offsets = new JsonArray();
      offsets.add(offset);
      offsets.add(offset + bytes);
      entry.add("data_offsets", offsets);
      root.add(tensor.name(), entry);
      offset += bytes;
    }
    byte[] json = new GsonBuilder().disableHtmlEscaping().create().toJson(root).getBytes(StandardCharsets.UTF_8);
    int padding = (8 - json.length % 8) % 8;
    byte[] padded = new byte[json.length + padding];
    System.arraycopy(json, 0, padded, 0, json.length);
    Arrays.fill(padded, json.length, padded.length, (byte) ' ');
    return padded;
  }

  private static void writeValues(FileChannel channel, Pending tensor, Dtype dtype, ByteBuffer chunk) throws IOException {
    try (Values values = tensor.values().get()) {
      if (values.count() != tensor.numel()) {
        throw new IllegalStateException("tensor \"" + tensor.name() + "\" has " + values.count() + " values for shape "
            + Arrays.toString(tensor.shape()));
      }
      chunk.clear();
      for (ByteBuffer bytes : values.buffers()) {
        if (dtype == Dtype.F32 && bytes.order() == ByteOrder.LITTLE_ENDIAN) {
          writeFully(channel, chunk.flip());
          chunk.clear();
          writeFully(channel, bytes);
          continue;
        }
        FloatBuffer floats = bytes.asFloatBuffer();
        while (floats.hasRemaining()) {
          if (chunk.remaining() < Float.BYTES) {
            writeFully(channel, chunk.flip());
            chunk.clear();
          }
          float value = floats.get();
          switch (dtype) {
            case F32 -> chunk.putFloat(value);
            case BF16 -> chunk.putShort(HalfFloats.floatToBf16(value));
            case F16 -> chunk.putShort(HalfFloats.floatToF16(value));
            default -> throw new IllegalStateException("unreachable: " + dtype);
          }
        }
      }
      writeFully(channel, chunk.flip());
    }
  }

  /** The body of a file, written to a channel. */
  @FunctionalInterface
  interface Body {
    void writeTo(FileChannel channel) throws IOException;
  }

  /** Writes a temporary file beside {@code file}, forces it to the disk, then renames it to {@code file}. */
  static void writeAtomically(Path file, Body body) {
    Path target = file.toAbsolutePath();
    Path folder = target.getParent();
    Path temporary = null;
    try {
      Files.createDirectories(folder);
      // Not Files.createTempFile: its files are private (0600); this one gets the permissions of any new file.
      temporary = folder.resolve("." + target.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
      try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        body.writeTo(channel);
        channel.force(true);
      }
      try {
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
      }
      temporary = null;
      syncFolder(folder);
    } catch (IOException e) {
      throw new SafetensorsException(file + " cannot be written (" + e + "); any previous " + target.getFileName()
          + " is unchanged. Check the free disk space and the folder's permissions", e);
    } finally {
      if (temporary != null) {
        try {
          Files.deleteIfExists(temporary);
        } catch (IOException ignored) {
          // the temporary file's name starts with a dot and ends in .tmp: it is recognisably debris
        }
      }
    }
  }

  /** Makes the rename durable, where the platform allows syncing a folder (Linux does). */
  private static void syncFolder(Path folder) {
    try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException ignored) {
      // not supported here (Windows): the rename is still atomic, just not yet durable
    }
  }

  private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /** Removes weight files of an earlier save that {@code keep} does not list. */
  private static void removeStale(Path folder, Set<String> keep) {
    try (Stream<Path> files = Files.list(folder)) {
      for (Path path : files.toList()) {
        String name = path.getFileName().toString();
        boolean weights = name.equals(SafetensorsCheckpoint.SINGLE_FILE) || name.equals(SafetensorsCheckpoint.INDEX_FILE)
            || SHARD_NAME.matcher(name).matches();
        if (weights && !keep.contains(name)) {
          Files.delete(path);
        }
      }
    } catch (IOException e) {
      throw new SafetensorsException(folder + ": the new weights are written, but the files of an earlier save"
          + " cannot be removed (" + e + "); remove the files that " + SafetensorsCheckpoint.INDEX_FILE
          + " does not list, or peft4j may read the old weights", e);
    }
  }
}
