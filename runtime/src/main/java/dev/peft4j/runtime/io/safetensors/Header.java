package dev.peft4j.runtime.io.safetensors;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and validated JSON header of a safetensors file: every entry well-formed, and the tensors
 * covering the data buffer exactly, without holes or overlaps — what the reference implementation checks.
 *
 * @param tensors by name, in the order of their offsets
 */
record Header(Map<String, TensorInfo> tensors, Map<String, String> metadata) {

  /** The most a header may take, as in the reference implementation. */
  static final long MAX_HEADER_BYTES = 100_000_000L;

  static final String METADATA_KEY = "__metadata__";

  private static final String DAMAGED = "the file is damaged or was not written as safetensors: write it again, or download it again";

  /**
   * Parses {@code json} (the header bytes) of {@code file}, whose data buffer holds {@code bufferBytes}.
   *
   * @throws SafetensorsException naming the file, the tensor if any, what is wrong and what to do
   */
  static Header parse(Path file, ByteBuffer json, long bufferBytes) {
    JsonObject root = parseObject(file, json);
    Map<String, String> metadata = Map.of();
    List<TensorInfo> infos = new ArrayList<>();
    for (Map.Entry<String, JsonElement> entry : root.entrySet()) {
      if (entry.getKey().equals(METADATA_KEY)) {
        metadata = metadata(file, entry.getValue());
      } else {
        infos.add(tensor(file, entry.getKey(), entry.getValue(), bufferBytes));
      }
    }
    infos.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    checkCoverage(file, infos, bufferBytes);
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    infos.forEach(t -> tensors.put(t.name(), t));
    return new Header(Collections.unmodifiableMap(tensors), metadata);
  }

  static SafetensorsException malformed(Path file, String what) {
    return new SafetensorsException(file + ": " + what + ". " + DAMAGED);
  }

  private static JsonObject parseObject(Path file, ByteBuffer json) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(json).toString();
    } catch (CharacterCodingException e) {
      throw malformed(file, "the header is not valid UTF-8 text");
    }
    if (text.isBlank()) {
      throw malformed(file, "the header is empty; it must be a JSON object of tensors");
    }
    try {
      JsonReader reader = new JsonReader(new StringReader(text));
      reader.setStrictness(Strictness.STRICT);
      JsonElement parsed = JsonParser.parseReader(reader);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw malformed(file, "the header has text after its JSON object");
      }
      if (!parsed.isJsonObject()) {
        throw malformed(file, "the header is " + describe(parsed) + ", not a JSON object of tensors");
      }
      return parsed.getAsJsonObject();
    } catch (JsonParseException | IOException | IllegalStateException e) {
      throw malformed(file, "the header is not valid JSON (" + e.getMessage() + ")");
    }
  }

  private static Map<String, String> metadata(Path file, JsonElement value) {
    if (value.isJsonNull()) {
      return Map.of();
    }
    if (!value.isJsonObject()) {
      throw malformed(file, METADATA_KEY + " must be an object of strings, but it is " + describe(value));
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : value.getAsJsonObject().entrySet()) {
      if (!e.getValue().isJsonPrimitive() || !e.getValue().getAsJsonPrimitive().isString()) {
        throw malformed(file, METADATA_KEY + " must map strings to strings, but \"" + e.getKey() + "\" is "
            + describe(e.getValue()));
      }
      metadata.put(e.getKey(), e.getValue().getAsString());
    }
    return Collections.unmodifiableMap(metadata);
  }

  private static TensorInfo tensor(Path file, String name, JsonElement value, long bufferBytes) {
    String where = "tensor \"" + name + "\"";
    if (!value.isJsonObject()) {
      throw malformed(file, where + " is " + describe(value) + ", not an object with dtype, shape and data_offsets");
    }
    JsonObject entry = value.getAsJsonObject();
    JsonElement dtypeValue = required(file, where, entry, "dtype");
    if (!dtypeValue.isJsonPrimitive() || !dtypeValue.getAsJsonPrimitive().isString()) {
      throw malformed(file, where + ": dtype must be a string such as \"F32\", but it is " + describe(dtypeValue));
    }
    String dtypeName = dtypeValue.getAsString();
    Dtype dtype = Dtype.of(dtypeName).orElseThrow(() -> new SafetensorsException(file + ": " + where
        + " has the unknown dtype \"" + dtypeName + "\". The safetensors dtypes are " + Dtype.names()
        + ": the file was written by a newer or foreign tool; save the tensor in one of these"));
    long[] shape = integers(file, where, "shape", required(file, where, entry, "shape"), -1);
    for (long d : shape) {
      if (d < 0) {
        throw malformed(file, where + " has a negative dimension in its shape " + Arrays.toString(shape));
      }
    }
    long[] offsets = integers(file, where, "data_offsets", required(file, where, entry, "data_offsets"), 2);
    long begin = offsets[0];
    long end = offsets[1];
    if (begin < 0 || end < 0) {
      throw malformed(file, where + " has negative data_offsets [" + begin + ", " + end + "]");
    }
    if (end < begin) {
      throw malformed(file, where + " ends before it begins: data_offsets [" + begin + ", " + end + "]");
    }
    if (end > bufferBytes) {
      throw malformed(file, where + " has data_offsets [" + begin + ", " + end + "] beyond the data buffer, which holds "
          + bufferBytes + " bytes (the file is truncated?)");
    }
    TensorInfo info = new TensorInfo(name, dtypeName, shape, begin, end);
    long expected;
    try {
      expected = dtype.bytes(info.numel());
    } catch (ArithmeticException e) {
      expected = -1;
    }
    if (expected != info.byteLength()) {
      throw malformed(file, where + " takes " + info.byteLength() + " bytes (data_offsets [" + begin + ", " + end
          + "]), but its shape " + info.shapeText() + " of " + dtypeName + " needs "
          + (expected < 0 ? "a number of bytes that is not whole or too large" : expected + " bytes"));
    }
    return info;
  }

  private static JsonElement required(Path file, String where, JsonObject entry, String key) {
    JsonElement value = entry.get(key);
    if (value == null) {
      throw malformed(file, where + " has no " + key + " (an entry needs dtype, shape and data_offsets)");
    }
    return value;
  }

  /** A JSON array of integers, of {@code length} elements unless it is -1. */
  private static long[] integers(Path file, String where, String key, JsonElement value, int length) {
    String expected = length < 0 ? "an array of integers" : "an array of " + length + " integers";
    if (!value.isJsonArray() || (length >= 0 && value.getAsJsonArray().size() != length)) {
      throw malformed(file, where + ": " + key + " must be " + expected + ", but it is " + value);
    }
    long[] result = new long[value.getAsJsonArray().size()];
    for (int i = 0; i < result.length; i++) {
      JsonElement element = value.getAsJsonArray().get(i);
      try {
        if (!element.isJsonPrimitive() || !element.getAsJsonPrimitive().isNumber()) {
          throw new ArithmeticException();
        }
        result[i] = new BigDecimal(element.getAsString()).longValueExact();
      } catch (ArithmeticException | NumberFormatException e) {
        throw malformed(file, where + ": " + key + " must be " + expected + ", but it is " + value);
      }
    }
    return result;
  }

  private static void checkCoverage(Path file, List<TensorInfo> byOffset, long bufferBytes) {
    long covered = 0;
    TensorInfo previous = null;
    for (TensorInfo t : byOffset) {
      if (t.begin() < covered) {
        throw malformed(file, "tensors \"" + previous.name() + "\" (bytes " + previous.begin() + ".." + previous.end()
            + ") and \"" + t.name() + "\" (bytes " + t.begin() + ".." + t.end() + ") overlap");
      }
      if (t.begin() > covered) {
        throw malformed(file, (previous == null ? "the data buffer begins with " + t.begin()
            + " bytes that belong to no tensor (the first tensor, \"" + t.name() + "\", begins at byte " + t.begin() + ")"
            : "bytes " + covered + ".." + t.begin() + " of the data buffer, between tensors \"" + previous.name()
                + "\" and \"" + t.name() + "\", belong to no tensor (a hole)"));
      }
      covered = t.end();
      previous = t;
    }
    if (covered != bufferBytes) {
      throw malformed(file, "the last " + (bufferBytes - covered) + " bytes of the data buffer"
          + (previous == null ? "" : ", after tensor \"" + previous.name() + "\",") + " belong to no tensor");
    }
  }

  private static String describe(JsonElement value) {
    if (value.isJsonNull()) {
      return "null";
    }
    if (value.isJsonArray()) {
      return "an array";
    }
    if (value.isJsonObject()) {
      return "an object";
    }
    return value.getAsJsonPrimitive().isString() ? "the string " + value : value.toString();
  }
}
