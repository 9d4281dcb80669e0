package dev.peft4j.runtime.data;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.peft4j.runtime.config.CoreSettings.Columns;
import dev.peft4j.runtime.config.CoreSettings.DataFormat;
import dev.peft4j.runtime.config.CoreSettings.Tags;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a JSON-lines data file (UTF-8, one JSON object a line; blank lines are ignored) in one of three formats:
 *
 * <ul>
 *   <li>{@code alpaca}: {@code {"instruction": ..., "input": ... (optional), "output": ..., "system": ... (optional),
 *       "history": [[instruction, output], ...] (optional, earlier turns)}}. The user's turn is the instruction and
 *       the input joined by a newline.
 *   <li>{@code sharegpt}: {@code {"conversations": [{"from": "human" | "gpt" | "system", "value": ...}, ...],
 *       "system": ... (optional)}}, or the OpenAI style {@code {"messages": [{"role": "user" | "assistant" | "system",
 *       "content": ...}, ...]}}.
 *   <li>{@code text}: {@code {"text": ...}}, for continued pre-training.
 * </ul>
 *
 * <p>These are the formats' own field names; {@link Columns} names others (LLaMA-Factory's {@code columns} and
 * {@code tags}).
 *
 * <p>A bad line (not JSON, a field missing or of the wrong type, an empty conversation or answer, turns out of
 * order) is reported as {@code file:line: what is wrong}. It stops the read with a {@link DataException}, unless bad
 * lines are skipped: then they are counted in {@link SampleFile#badLines()}.
 */
public final class DataReader {

  private static final Map<String, Role> SHAREGPT_ROLES = Map.of(
      "human", Role.USER, "user", Role.USER, "gpt", Role.ASSISTANT, "assistant", Role.ASSISTANT, "system", Role.SYSTEM);
  private static final Map<String, Role> OPENAI_ROLES = Map.of(
      "user", Role.USER, "assistant", Role.ASSISTANT, "system", Role.SYSTEM);
  private static final Pattern COLUMN = Pattern.compile("line 1 column (\\d+)");
  private static final Pattern READER_LINE = Pattern.compile(" at line (\\d+) column");
  private static final List<String> TOOL_ROLES = List.of("function_call", "observation", "tool", "function");

  private DataReader() {}

  /**
   * Reads every line of {@code file}.
   *
   * @throws DataException when the file cannot be read, has no usable line, or has a bad line and
   *     {@code skipBadLines} is off
   */
  public static SampleFile read(Path file, DataFormat format, boolean skipBadLines) {
    return read(file, format, Columns.DEFAULT, skipBadLines);
  }

  /**
   * Reads every line of {@code file}, its fields named by {@code columns}.
   *
   * @throws DataException when the file cannot be read, has no usable line, or has a bad line and
   *     {@code skipBadLines} is off
   */
  public static SampleFile read(Path file, DataFormat format, Columns columns, boolean skipBadLines) {
    if (holdsArray(file)) {
      return readArray(file, format, columns, skipBadLines);
    }
    List<DataLine> lines = new ArrayList<>();
    BadLines bad = BadLines.NONE;
    int number = 0;
    try (Utf8Lines reader = new Utf8Lines(Files.newInputStream(file))) {
      while (true) {
        String line;
        try {
          line = reader.next();
        } catch (Utf8Lines.MalformedLine e) {
          number++;
          String reason = file + ":" + number + ": " + e.getMessage();
          if (!skipBadLines) {
            throw new DataException(reason + ", or set data.skip-bad-lines = true to skip bad lines");
          }
          bad = bad.plus(reason);
          continue;
        }
        if (line == null) {
          break;
        }
        number++;
        if (number == 1 && line.startsWith("\uFEFF")) {
          line = line.substring(1);
        }
        if (line.isBlank()) {
          continue;
        }
        try {
          lines.add(new DataLine(number, sample(object(line), format, columns)));
        } catch (BadLine e) {
          String reason = file + ":" + number + ": " + e.getMessage();
          if (!skipBadLines) {
            throw new DataException(reason + ". Fix the line, or set data.skip-bad-lines = true to skip bad lines");
          }
          bad = bad.plus(reason);
        }
      }
    } catch (NoSuchFileException e) {
      throw new DataException(file + " does not exist: check the path (relative paths in a run file are relative to the "
          + "file's folder)");
    } catch (IOException e) {
      throw new DataException(file + " cannot be read: " + e);
    }
    if (lines.isEmpty()) {
      throw new DataException(file + " has no " + format.name().toLowerCase(Locale.ROOT) + " examples"
          + (bad.count() == 0 ? ": the file is empty" : ": all " + bad.count() + " lines are bad; the first: "
              + bad.firstReasons().get(0)));
    }
    return new SampleFile(file, lines, bad);
  }

  /**
   * Whether the file, not named {@code .jsonl} (always JSON lines, whatever a line holds), opens a JSON array: its first
   * character after white space (and a byte order mark) is {@code [}.
   */
  private static boolean holdsArray(Path file) {
    if (file.getFileName() != null && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonl")) {
      return false;
    }
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      int c;
      do {
        c = reader.read();
      } while (c == '\uFEFF' || (c >= 0 && Character.isWhitespace(c)));
      return c == '[';
    } catch (IOException e) {
      return false; // read() says what is wrong with the file
    }
  }

  /**
   * Reads a file that holds one JSON array of objects, as LLaMA-Factory's {@code .json} datasets do; each element is
   * named by the line it starts on.
   */
  private static SampleFile readArray(Path file, DataFormat format, Columns columns, boolean skipBadLines) {
    List<DataLine> lines = new ArrayList<>();
    BadLines bad = BadLines.NONE;
    TypeAdapter<JsonElement> elements = new Gson().getAdapter(JsonElement.class);
    try (JsonReader reader = new JsonReader(new InputStreamReader(withoutByteOrderMark(file),
        StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)))) {
      reader.setStrictness(Strictness.STRICT);
      reader.beginArray();
      while (reader.hasNext()) {
        reader.peek();
        int number = lineOf(reader);
        JsonElement element = elements.read(reader);
        try {
          if (!element.isJsonObject()) {
            throw new BadLine("expected a JSON object, got " + describe(element));
          }
          lines.add(new DataLine(number, sample(element.getAsJsonObject(), format, columns)));
        } catch (BadLine e) {
          String reason = file + ":" + number + ": " + e.getMessage();
          if (!skipBadLines) {
            throw new DataException(reason + ". Fix the element, or set data.skip-bad-lines = true to skip bad ones");
          }
          bad = bad.plus(reason);
        }
      }
      reader.endArray();
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new DataException(file + ":" + lineOf(reader) + ": text after the end of the JSON array: the file holds "
            + "one array of objects");
      }
    } catch (MalformedInputException e) {
      throw new DataException(file + " is not valid UTF-8: save it as UTF-8");
    } catch (JsonParseException | IOException | IllegalStateException e) {
      throw new DataException(file + ": not a valid JSON array of objects: " + gsonMessage(e).replaceFirst(
          "at line (\\d+) column (\\d+)", "at line $1, column $2") + ". Fix the file (or write it as JSON lines)");
    }
    if (lines.isEmpty()) {
      throw new DataException(file + " has no " + format.name().toLowerCase(Locale.ROOT) + " examples"
          + (bad.count() == 0 ? ": the array is empty" : ": all " + bad.count() + " elements are bad; the first: "
              + bad.firstReasons().get(0)));
    }
    return new SampleFile(file, lines, bad);
  }

  /** The file's bytes after its UTF-8 byte order mark, if it has one (a strict JSON reader refuses the mark). */
  private static InputStream withoutByteOrderMark(Path file) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(file));
    in.mark(3);
    byte[] start = in.readNBytes(3);
    if (!(start.length == 3 && (start[0] & 0xff) == 0xEF && (start[1] & 0xff) == 0xBB && (start[2] & 0xff) == 0xBF)) {
      in.reset();
    }
    return in;
  }

  /** The line the reader is on, from its location text ({@code ... at line 3 column 5 path $[1]}). */
  private static int lineOf(JsonReader reader) {
    Matcher m = READER_LINE.matcher(reader.toString());
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  /** One line's sample; a {@link BadLine} says what is wrong with it. */
  static Sample parse(String line, DataFormat format) {
    return sample(object(line), format, Columns.DEFAULT);
  }

  private static Sample sample(JsonObject json, DataFormat format, Columns columns) {
    return switch (format) {
      case ALPACA -> alpaca(json, columns);
      case SHAREGPT -> sharegpt(json, columns);
      case TEXT -> new PlainText(nonEmpty(json, columns.text(), "there is no text to learn"));
    };
  }

  private static JsonObject object(String line) {
    JsonElement element;
    JsonReader reader = new JsonReader(new StringReader(line));
    reader.setStrictness(Strictness.STRICT);
    try {
      element = JsonParser.parseReader(reader);
    } catch (JsonParseException e) {
      throw new BadLine("not valid JSON: " + gsonMessage(e));
    }
    try {
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new IOException();
      }
    } catch (IOException e) {
      throw new BadLine("not valid JSON: text after the end of the JSON value" + column(e)
          + ": a line holds one object");
    }
    if (!element.isJsonObject()) {
      throw new BadLine("expected a JSON object, got " + describe(element));
    }
    return element.getAsJsonObject();
  }

  private static Sample alpaca(JsonObject json, Columns columns) {
    String instruction = string(json, columns.prompt());
    String input = optionalString(json, columns.query()).orElse("");
    String output = nonEmpty(json, columns.response(), "there is no answer to learn");
    Optional<String> system = systemOf(json, columns);
    List<Turn> turns = new ArrayList<>();
    system.ifPresent(s -> turns.add(Turn.system(s)));
    String historyKey = "\"" + columns.history().orElse("") + "\"";
    JsonElement history = columns.history().map(json::get).orElse(null);
    if (history != null && !history.isJsonNull()) {
      if (!history.isJsonArray()) {
        throw new BadLine(historyKey + " must be a list of [instruction, output] pairs, got " + describe(history));
      }
      JsonArray pairs = history.getAsJsonArray();
      for (int i = 0; i < pairs.size(); i++) {
        JsonElement pair = pairs.get(i);
        if (!pair.isJsonArray() || pair.getAsJsonArray().size() != 2 || !isString(pair.getAsJsonArray().get(0))
            || !isString(pair.getAsJsonArray().get(1))) {
          throw new BadLine(historyKey + "[" + i + "] must be a pair of strings [instruction, output], got " + describe(pair));
        }
        turns.add(Turn.user(pair.getAsJsonArray().get(0).getAsString()));
        turns.add(Turn.assistant(pair.getAsJsonArray().get(1).getAsString()));
      }
    }
    if (instruction.isEmpty() && input.isEmpty()) {
      throw new BadLine("\"" + columns.prompt() + "\" and \"" + columns.query() + "\" are both empty: there is no prompt");
    }
    turns.add(Turn.user(instruction.isEmpty() ? input : input.isEmpty() ? instruction : instruction + "\n" + input));
    turns.add(Turn.assistant(output));
    return conversation(turns);
  }

  private static Sample sharegpt(JsonObject json, Columns columns) {
    boolean asDefault = columns.sharegptAsDefault();
    boolean openAi = asDefault && !json.has("conversations") && json.has("messages");
    String key = openAi ? "messages" : columns.messages();
    JsonElement list = json.get(key);
    if (list == null || list.isJsonNull()) {
      throw new BadLine(asDefault ? "\"conversations\" (ShareGPT) or \"messages\" (OpenAI style) is missing"
          : "\"" + key + "\" is missing");
    }
    if (!list.isJsonArray()) {
      throw new BadLine("\"" + key + "\" must be a list of turns, got " + describe(list));
    }
    Tags tags = columns.tags();
    String roleKey = openAi ? "role" : tags.role();
    String contentKey = openAi ? "content" : tags.content();
    Map<String, Role> roles = openAi ? OPENAI_ROLES : asDefault ? SHAREGPT_ROLES
        : Map.of(tags.user(), Role.USER, tags.assistant(), Role.ASSISTANT, tags.system(), Role.SYSTEM);
    List<String> roleNames = openAi ? List.of("user", "assistant", "system") : asDefault
        ? List.of("human", "gpt", "system") : List.of(tags.user(), tags.assistant(), tags.system());
    List<Turn> turns = new ArrayList<>();
    Optional<String> system = systemOf(json, columns);
    system.ifPresent(s -> turns.add(Turn.system(s)));
    JsonArray array = list.getAsJsonArray();
    for (int i = 0; i < array.size(); i++) {
      String where = "\"" + key + "\"[" + i + "]";
      if (!array.get(i).isJsonObject()) {
        throw new BadLine(where + " must be an object {\"" + roleKey + "\": ..., \"" + contentKey + "\": ...}, got "
            + describe(array.get(i)));
      }
      JsonObject turn = array.get(i).getAsJsonObject();
      String roleName = string(turn, roleKey, where);
      Role role = roles.get(roleName);
      if (role == null) {
        throw new BadLine(where + ": " + (TOOL_ROLES.contains(roleName)
            ? "tool turns (\"" + roleName + "\") are not supported yet"
            : "unknown " + roleKey + " \"" + roleName + "\": expected " + String.join(", ", roleNames)));
      }
      if (role == Role.SYSTEM && system.isPresent()) {
        throw new BadLine(where + " is a system turn, and the line has a \"" + columns.system().orElseThrow()
            + "\" field too: keep one of them");
      }
      String content = string(turn, contentKey, where);
      if (role == Role.ASSISTANT && content.isBlank()) {
        throw new BadLine(where + " is an empty assistant turn: there is no answer to learn");
      }
      turns.add(new Turn(role, content));
    }
    if (array.isEmpty()) {
      throw new BadLine("\"" + key + "\" is empty: there is no conversation");
    }
    return conversation(turns);
  }

  /** The line's system prompt, when its columns read one and it is not empty. */
  private static Optional<String> systemOf(JsonObject json, Columns columns) {
    return columns.system().flatMap(key -> optionalString(json, key)).filter(s -> !s.isEmpty());
  }

  private static Conversation conversation(List<Turn> turns) {
    Optional<String> problem = Conversation.problem(turns, Role.ASSISTANT);
    if (problem.isPresent()) {
      throw new BadLine(problem.get());
    }
    return new Conversation(turns);
  }

  private static String string(JsonObject json, String key) {
    return string(json, key, null);
  }

  private static String string(JsonObject json, String key, String where) {
    String name = where == null ? "\"" + key + "\"" : where + "." + key;
    JsonElement value = json.get(key);
    if (value == null) {
      throw new BadLine(name + " is missing");
    }
    if (!isString(value)) {
      throw new BadLine(name + " must be a string, got " + describe(value));
    }
    return value.getAsString();
  }

  private static Optional<String> optionalString(JsonObject json, String key) {
    JsonElement value = json.get(key);
    if (value == null || value.isJsonNull()) {
      return Optional.empty();
    }
    if (!isString(value)) {
      throw new BadLine("\"" + key + "\" must be a string, got " + describe(value));
    }
    return Optional.of(value.getAsString());
  }

  private static String nonEmpty(JsonObject json, String key, String why) {
    String value = string(json, key);
    if (value.isBlank()) {
      throw new BadLine("\"" + key + "\" is empty: " + why);
    }
    return value;
  }

  private static boolean isString(JsonElement value) {
    return value.isJsonPrimitive() && value.getAsJsonPrimitive().isString();
  }

  private static String describe(JsonElement value) {
    if (value.isJsonNull()) {
      return "null";
    }
    if (value.isJsonArray()) {
      return "a list";
    }
    if (value.isJsonObject()) {
      return "an object";
    }
    if (value.getAsJsonPrimitive().isBoolean()) {
      return "the boolean " + value.getAsBoolean();
    }
    if (value.getAsJsonPrimitive().isNumber()) {
      return "the number " + value.getAsString();
    }
    return "a string";
  }

  /** What Gson found, in words for a person who edits the file. */
  private static String gsonMessage(Exception e) {
    Throwable cause = e.getCause() != null ? e.getCause() : e;
    String message = String.valueOf(cause.getMessage());
    if (cause instanceof EOFException || message.contains("End of input")) {
      return "the line ends inside the JSON value" + column(cause) + " (cut short, or one object split over several "
          + "lines)";
    }
    if (message.contains("setStrictness") || message.contains("malformed JSON")) {
      return "malformed JSON" + column(cause) + " (keys and strings need double quotes; no comments, no trailing "
          + "commas)";
    }
    int link = message.indexOf("\nSee https://");
    if (link >= 0) {
      message = message.substring(0, link);
    }
    return message.replaceFirst(" at line 1 column (\\d+)", " at column $1").replaceFirst(" path \\$.*$", "").trim();
  }

  /** " at column N" from Gson's message, or nothing. */
  private static String column(Throwable e) {
    Matcher m = COLUMN.matcher(String.valueOf(e.getMessage()));
    return m.find() ? " at column " + m.group(1) : "";
  }

  /** What is wrong with a line; becomes {@code file:line: message}. */
  private static final class BadLine extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadLine(String message) {
      super(message, null, false, false);
    }
  }
}
