package dev.peft4j.runtime.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peft4j.runtime.nn.TorchOps;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link SafetensorsWriter} writes, {@link SafetensorsFile} and {@link SafetensorsCheckpoint} read back. */
class SafetensorsRoundTripTest {

  @TempDir
  Path dir;

  private NDManager manager;

  @BeforeEach
  void setUp() {
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void tearDown() {
    manager.close();
  }

  private NDArray array(Shape shape, float... values) {
    return manager.create(values, shape);
  }

  private static float[] sequence(int n, float scale) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (i - n / 2) * scale;
    }
    return values;
  }

  private Map<String, NDArray> sample() {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    tensors.put("model.layers.0.self_attn.q_proj.weight", array(new Shape(3, 4), sequence(12, 0.37f)));
    tensors.put("b", array(new Shape(5), 1e-40f, -0f, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, Float.NaN));
    tensors.put("scalar", array(new Shape(), -1.5f));
    tensors.put("empty", array(new Shape(0, 3)));
    tensors.put("a", array(new Shape(2, 1, 3), sequence(6, -0.1f)));
    return tensors;
  }

  @Test
  void f32RoundTripKeepsValuesShapesOrderAndMetadata() {
    Path file = dir.resolve("f32.safetensors");
    Map<String, NDArray> tensors = sample();
    SafetensorsWriter.write(file, tensors, Map.of("step", "12"));

    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      assertThat(read.tensors().keySet()).containsExactlyElementsOf(tensors.keySet()); // insertion order = offset order
      assertThat(read.metadata()).containsExactly(Map.entry("format", "pt"), Map.entry("step", "12"));
      for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
        TensorInfo info = read.tensors().get(e.getKey());
        assertThat(info.dtype()).isEqualTo("F32");
        assertThat(info.shape()).isEqualTo(e.getValue().getShape().getShape());
        assertThat(read.readFloats(e.getKey())).isEqualTo(e.getValue().toFloatArray());
        NDArray back = read.read(e.getKey(), manager);
        assertThat(back.getDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(back.getShape()).isEqualTo(e.getValue().getShape());
        assertThat(back.toFloatArray()).isEqualTo(e.getValue().toFloatArray());
      }
      assertThat(read.tensors().get("scalar").numel()).isEqualTo(1);
      assertThat(read.tensors().get("empty").numel()).isZero();
    }
  }

  @Test
  void theHeaderIsCompactJsonPaddedWithSpacesToEightBytes() throws IOException {
    Path file = dir.resolve("layout.safetensors");
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    tensors.put("w", array(new Shape(2), 1f, 2f));
    SafetensorsWriter.write(file, tensors, Map.of());

    byte[] bytes = Files.readAllBytes(file);
    long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
    assertThat(headerLength % 8).isZero();
    assertThat(header).startsWith("{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}");
    assertThat(header.strip()).isEqualTo(header.substring(0, header.indexOf("}}") + 2));
    assertThat(bytes).hasSize(8 + (int) headerLength + 8);
  }

  @Test
  void bf16AndF16AreWrittenRoundedAndReadBackAsFloat32() {
    float[] values = {1 + 0x1p-8f, 1 + 3 * 0x1p-8f, 0.1f, -2.5f, 65504f, 70000f, 1e-7f, -0f};
    Map<String, NDArray> tensors = Map.of("v", array(new Shape(2, 4), values));
    for (String dtype : new String[] {"BF16", "F16"}) {
      Path file = dir.resolve(dtype + ".safetensors");
      SafetensorsWriter.write(file, tensors, null, dtype);
      try (SafetensorsFile read = SafetensorsFile.open(file)) {
        assertThat(read.tensors().get("v").dtype()).isEqualTo(dtype);
        assertThat(read.tensors().get("v").byteLength()).isEqualTo(16);
        float[] expected = new float[values.length];
        for (int i = 0; i < values.length; i++) {
          expected[i] = dtype.equals("BF16") ? HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(values[i]))
              : HalfFloats.f16ToFloat(HalfFloats.floatToF16(values[i]));
        }
        NDArray back = read.read("v", manager);
        assertThat(back.getShape()).isEqualTo(new Shape(2, 4));
        assertThat(back.toFloatArray()).isEqualTo(expected);
      }
    }
    try (SafetensorsFile bf16 = SafetensorsFile.open(dir.resolve("BF16.safetensors"));
        SafetensorsFile f16 = SafetensorsFile.open(dir.resolve("F16.safetensors"))) {
      assertThat(bf16.readFloats("v")).startsWith(1f, 1 + 0x1p-6f, 0.10009765625f, -2.5f, 65536f, 70144f);
      assertThat(f16.readFloats("v")).startsWith(1 + 0x1p-8f, 1 + 3 * 0x1p-8f, 0.0999755859375f, -2.5f, 65504f,
          Float.POSITIVE_INFINITY, 1.1920929e-7f, -0f);
    }
  }

  @Test
  void stridedAndBf16ArraysAreWrittenStraightFromLibtorchAndLeaveNoArrayBehind() {
    NDArray strided = array(new Shape(3, 4), sequence(12, 0.37f)).transpose(); // a view: DJL copies it contiguous
    NDArray bf16 = TorchOps.get().toBf16(array(new Shape(2, 3), 1, -2.5f, 0.1f, 65536f, 1e-3f, -0f));
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    tensors.put("strided", strided);
    tensors.put("bf16", bf16);
    int before = ((BaseNDManager) manager).getManagedArrays().size();
    Path file = dir.resolve("direct.safetensors");
    SafetensorsWriter.write(file, tensors, null, "F32");
    SafetensorsWriter.write(dir.resolve("direct-bf16.safetensors"), tensors, null, "BF16");

    // the contiguous copy and the float32 conversion are closed as soon as each tensor is written
    assertThat(((BaseNDManager) manager).getManagedArrays().size()).isEqualTo(before);
    try (SafetensorsFile read = SafetensorsFile.open(file);
        SafetensorsFile readBf16 = SafetensorsFile.open(dir.resolve("direct-bf16.safetensors"))) {
      assertThat(read.read("strided", manager).toFloatArray()).containsExactly(strided.toFloatArray());
      assertThat(read.tensors().get("strided").shape()).containsExactly(4, 3);
      float[] bf16Values = {1, -2.5f, 0.10009765625f, 65536f, 0.00099945068359375f, -0f};
      assertThat(read.read("bf16", manager).toFloatArray()).containsExactly(bf16Values);
      assertThat(readBf16.read("bf16", manager).toFloatArray()).containsExactly(bf16Values);
      assertThat(readBf16.read("strided", manager).toFloatArray()).isEqualTo(TorchOps.get()
          .toFloat32(TorchOps.get().toBf16(strided)).toFloatArray());
    }
  }

  @Test
  void aTensorOverOneBufferIsWrittenInSlicesThatMakeTheSameBytes() {
    NDArray strided = array(new Shape(3, 4), sequence(12, 0.37f)).transpose();
    try (SafetensorsWriter.Values values = SafetensorsWriter.values(strided, 5)) {
      assertThat(values.buffers()).hasSize(3); // 5 + 5 + 2 values
      assertThat(values.count()).isEqualTo(12);
    }
    for (Dtype dtype : new Dtype[] {Dtype.F32, Dtype.BF16}) {
      Path file = dir.resolve("sliced-" + dtype + ".safetensors");
      SafetensorsWriter.write(file, java.util.List.of(new SafetensorsWriter.Pending("w", new long[] {4, 3},
          () -> SafetensorsWriter.values(strided, 5))), Map.of(), dtype);
      SafetensorsWriter.write(dir.resolve("whole.safetensors"), Map.of("w", strided), null, dtype.name());
      assertThat(file).hasSameBinaryContentAs(dir.resolve("whole.safetensors"));
    }
  }

  @Test
  void float16AndFloat64ArraysAreWrittenToo() {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    tensors.put("half", array(new Shape(2), 0.5f, -3f).toType(DataType.FLOAT16, false));
    tensors.put("double", manager.create(new double[] {0.25, 1e-3}));
    Path file = dir.resolve("types.safetensors");
    SafetensorsWriter.write(file, tensors, Map.of());
    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      assertThat(read.readFloats("half")).containsExactly(0.5f, -3f);
      assertThat(read.readFloats("double")).containsExactly(0.25f, 1e-3f);
    }
  }

  @Test
  void unsupportedInputsAreRefusedBeforeAnythingIsWritten() {
    Path file = dir.resolve("refused.safetensors");
    Map<String, NDArray> ints = Map.of("ids", manager.create(new int[] {1, 2}));
    assertThatThrownBy(() -> SafetensorsWriter.write(file, ints, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tensor \"ids\" is int32; the safetensors writer takes floating-point arrays: FLOAT32, FLOAT16, FLOAT64 or bf16");
    Map<String, NDArray> one = Map.of("w", array(new Shape(1), 1f));
    assertThatThrownBy(() -> SafetensorsWriter.write(file, one, Map.of(), "I8"))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("dtype \"I8\" cannot be written: choose one of [F32, BF16, F16]");
    Map<String, NDArray> reserved = Map.of("__metadata__", array(new Shape(1), 1f));
    assertThatThrownBy(() -> SafetensorsWriter.write(file, reserved, Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved for the metadata");
    assertThat(file).doesNotExist();
  }

  @Test
  void readingOtherDtypesIsRefusedClearlyAndF64IsConverted() throws IOException {
    byte[] data = ByteBuffer.allocate(16 + 8).order(ByteOrder.LITTLE_ENDIAN).putLong(7).putLong(-8).putDouble(0.1).array();
    Path file = RawFiles.write(dir.resolve("ints.safetensors"),
        ("{'ids': {'dtype': 'I64', 'shape': [2], 'data_offsets': [0, 16]},"
            + " 'd': {'dtype': 'F64', 'shape': [], 'data_offsets': [16, 24]}}").replace('\'', '"').getBytes(StandardCharsets.UTF_8),
        data);
    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      assertThatThrownBy(() -> read.read("ids", manager)).isInstanceOf(SafetensorsException.class)
          .hasMessage("tensor \"ids\" of " + file + " is I64; peft4j reads only floating-point tensors [F32, F16, BF16, F64]"
              + ". Is this tensor meant to be a weight?");
      assertThat(read.readFloats("d")).containsExactly(0.1f);
      assertThat(read.read("d", manager).getShape()).isEqualTo(new Shape());
    }
  }

  @Test
  void aMissingTensorIsNamedWithTheClosestNames() {
    Path file = dir.resolve("f32.safetensors");
    SafetensorsWriter.write(file, sample(), Map.of());
    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      assertThatThrownBy(() -> read.readFloats("layers.0.self_attn.q_proj.weight"))
          .isInstanceOf(SafetensorsException.class)
          .hasMessage(file + " has no tensor \"layers.0.self_attn.q_proj.weight\"; the closest names are: "
              + "model.layers.0.self_attn.q_proj.weight, scalar, empty (of 5 tensors)");
    }
  }

  @Test
  void readingAfterCloseIsAnError() {
    Path file = dir.resolve("f32.safetensors");
    SafetensorsWriter.write(file, sample(), Map.of());
    SafetensorsFile read = SafetensorsFile.open(file);
    read.close();
    assertThatThrownBy(() -> read.readFloats("a")).isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
  }

  @Test
  void shardedRoundTripWritesShardsAndAnIndex() throws IOException {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    for (int i = 0; i < 5; i++) {
      tensors.put("layer." + i + ".weight", array(new Shape(4, 4), sequence(16, 0.01f * (i + 1)))); // 64 bytes each
    }
    tensors.put("norm", array(new Shape(4), 1f, 2f, 3f, 4f)); // 16 bytes
    SafetensorsWriter.writeSharded(dir, tensors, Map.of("made_by", "test"), 130); // 2 tensors a shard

    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted()).containsExactly(
          "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors",
          "model.safetensors.index.json");
    }
    JsonObject index = JsonParser.parseString(Files.readString(dir.resolve("model.safetensors.index.json"))).getAsJsonObject();
    assertThat(index.getAsJsonObject("metadata").get("total_size").getAsLong()).isEqualTo(5 * 64 + 16);
    assertThat(index.getAsJsonObject("weight_map").get("layer.0.weight").getAsString()).isEqualTo("model-00001-of-00003.safetensors");
    assertThat(index.getAsJsonObject("weight_map").get("norm").getAsString()).isEqualTo("model-00003-of-00003.safetensors");

    try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
      assertThat(checkpoint.names()).containsExactlyElementsOf(tensors.keySet());
      assertThat(checkpoint.fileOf("layer.3.weight").getFileName().toString()).isEqualTo("model-00002-of-00003.safetensors");
      for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
        assertThat(checkpoint.read(e.getKey(), manager, e.getValue().getShape().getShape()).toFloatArray())
            .isEqualTo(e.getValue().toFloatArray());
      }
    }
    try (SafetensorsFile shard = SafetensorsFile.open(dir.resolve("model-00002-of-00003.safetensors"))) {
      assertThat(shard.metadata()).containsEntry("made_by", "test").containsEntry("format", "pt");
    }

    // everything fits in one shard: a single model.safetensors, and the earlier shards and index are removed
    SafetensorsWriter.writeSharded(dir, tensors, Map.of(), 1 << 20, "BF16");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("model.safetensors");
    }
    try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
      assertThat(checkpoint.info("norm").dtype()).isEqualTo("BF16");
      assertThat(checkpoint.read("norm", manager).toFloatArray()).containsExactly(1f, 2f, 3f, 4f);
    }

    // and back to shards: the single file goes, so that readers cannot pick the old weights
    SafetensorsWriter.writeSharded(dir, tensors, Map.of(), 200);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).doesNotContain("model.safetensors").hasSize(3); // 2 shards (192 + 144 bytes) and the index
    }
  }

  @Test
  void aTensorLargerThanAShardGetsAShardOfItsOwn() {
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    tensors.put("small", array(new Shape(1), 1f));
    tensors.put("big", array(new Shape(100), sequence(100, 1f)));
    tensors.put("small2", array(new Shape(1), 2f));
    SafetensorsWriter.writeSharded(dir, tensors, Map.of(), 8);
    try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
      assertThat(checkpoint.fileOf("small").getFileName().toString()).isEqualTo("model-00001-of-00003.safetensors");
      assertThat(checkpoint.fileOf("big").getFileName().toString()).isEqualTo("model-00002-of-00003.safetensors");
      assertThat(checkpoint.fileOf("small2").getFileName().toString()).isEqualTo("model-00003-of-00003.safetensors");
    }
  }

  @Test
  void aWrongShapeIsRefusedNamingTheTensorTheFileAndBothShapes() {
    SafetensorsWriter.write(dir.resolve("model.safetensors"), sample(), Map.of());
    try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
      assertThatThrownBy(() -> checkpoint.read("a", manager, 2, 3))
          .isInstanceOf(SafetensorsException.class)
          .hasMessage("tensor \"a\" in " + dir.resolve("model.safetensors") + " has shape [2, 1, 3], but the model expects"
              + " [2, 3]: the weights in " + dir + " do not belong to the model its config.json describes"
              + " (check hidden_size, intermediate_size, the head counts and vocab_size)");
      assertThat(checkpoint.read("scalar", manager).getShape()).isEqualTo(new Shape());
      assertThat(checkpoint.read("scalar", manager, new long[0]).toFloatArray()).containsExactly(-1.5f);
    }
  }

  @Test
  void aMissingTensorInACheckpointIsNamedWithTheFolderAndTheClosestNames() {
    SafetensorsWriter.writeSharded(dir, sample(), Map.of(), 16);
    try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
      assertThatThrownBy(() -> checkpoint.read("model.layers.1.self_attn.q_proj.weight", manager))
          .isInstanceOf(SafetensorsException.class)
          .hasMessage(dir + " has no tensor \"model.layers.1.self_attn.q_proj.weight\" (in model.safetensors.index.json);"
              + " the closest names are: model.layers.0.self_attn.q_proj.weight, scalar, empty (of 5 tensors)");
      assertThatThrownBy(() -> checkpoint.info("nope")).isInstanceOf(SafetensorsException.class)
          .hasMessageContaining("has no tensor \"nope\"");
    }
  }

  @Test
  void brokenCheckpointFoldersAreRefused() throws IOException {
    Path notAFolder = dir.resolve("missing");
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(notAFolder)).isInstanceOf(SafetensorsException.class)
        .hasMessage(notAFolder + " is not a folder: a model must be a Hugging Face model folder with model.safetensors"
            + " or model.safetensors.index.json and its shards");

    Files.writeString(dir.resolve("pytorch_model.bin"), "pickle");
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).isInstanceOf(SafetensorsException.class)
        .hasMessage(dir + " has neither model.safetensors nor model.safetensors.index.json (it holds: pytorch_model.bin)."
            + " peft4j reads weights in safetensors only: save the model with transformers'"
            + " save_pretrained(folder, safe_serialization=True)");

    SafetensorsWriter.writeSharded(dir, sample(), Map.of(), 16);
    Path index = dir.resolve("model.safetensors.index.json");
    Files.delete(dir.resolve("model-00002-of-00004.safetensors"));
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).isInstanceOf(SafetensorsException.class)
        .hasMessage(index + " puts tensor \"b\" (and maybe others) in model-00002-of-00004.safetensors, but " + dir
            + " has no such file: the download or copy is incomplete; fetch the missing shard");

    Files.writeString(index, "{\"weight_map\": {\"b\": \"model-00001-of-00004.safetensors\"}}");
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).isInstanceOf(SafetensorsException.class)
        .hasMessage(index + " puts tensor \"b\" in model-00001-of-00004.safetensors, but that shard has no such tensor;"
            + " the closest names are: model.layers.0.self_attn.q_proj.weight. The index and its shards do not belong"
            + " together: save the model again");

    Files.writeString(index, "{\"weight_map\": {\"b\": \"../elsewhere.safetensors\"}}");
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).isInstanceOf(SafetensorsException.class)
        .hasMessageContaining("names the shard \"../elsewhere.safetensors\", which is outside " + dir);

    Files.writeString(index, "{\"metadata\": {}}");
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).isInstanceOf(SafetensorsException.class)
        .hasMessage(index + " has no \"weight_map\" object (tensor name -> shard file): it is not a safetensors index;"
            + " save the model again");

    Files.writeString(index, "{\"weight_map\": ");
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).isInstanceOf(SafetensorsException.class)
        .hasMessageStartingWith(index + " is not valid JSON (");

    // a malformed shard is refused with its own name
    Files.writeString(index, "{\"weight_map\": {\"a\": \"model-00001-of-00004.safetensors\"}}");
    Files.write(dir.resolve("model-00001-of-00004.safetensors"), new byte[3]);
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).isInstanceOf(SafetensorsException.class)
        .hasMessageStartingWith(dir.resolve("model-00001-of-00004.safetensors") + ": it has 3 bytes");
  }
}
