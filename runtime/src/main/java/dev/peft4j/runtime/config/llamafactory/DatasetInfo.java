package dev.peft4j.runtime.config.llamafactory;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.peft4j.api.config.Suggestions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * LLaMA-Factory's {@code dataset_info.json}: data set names mapped to a file, its formatting and the names of its
 * columns ({@code data/parser.py}'s {@code DatasetAttr}). peft4j reads local files in the columns its own reader knows;
 * a mapping onto other names, a hub data set and a ranking (preference) data set are refused, each saying why.
 */
final class DatasetInfo {

  /** One data set: its file and how peft4j reads it. */
  record Dataset(String name, Path file, String formatting) {}

  /** What peft4j's reader takes for each of LLaMA-Factory's column names, by formatting. */
  private static final Map<String, Map<String, String>> COLUMNS = Map.of(
      "alpaca", Map.of("prompt", "instruction", "query", "input", "response", "output", "system", "system",
          "history", "history"),
      "sharegpt", Map.of("messages", "conversations", "system", "system"));
  /** The two sets of ShareGPT tags peft4j reads: ShareGPT's own and the OpenAI style. */
  private static final Map<String, Map<String, String>> TAGS = Map.of(
      "conversations", Map.of("role_tag", "from", "content_tag", "value", "user_tag", "human",
          "assistant_tag", "gpt", "system_tag", "system"),
      "messages", Map.of("role_tag", "role", "content_tag", "content", "user_tag", "user",
          "assistant_tag", "assistant", "system_tag", "system"));
  private static final Set<String> HUB_KEYS = Set.of("hf_hub_url", "ms_hub_url", "om_hub_url", "script_url",
      "cloud_file_name");
  private static final Set<String> KNOWN_KEYS = Set.of("file_name", "formatting", "columns", "tags", "file_sha1",
      "split", "ranking", "subset", "folder", "num_samples", "load_from", "hf_hub_url", "ms_hub_url", "om_hub_url",
      "script_url", "cloud_file_name");

  private final Path folder;
  private final JsonObject entries;

  private DatasetInfo(Path folder, JsonObject entries) {
    this.folder = folder;
    this.entries = entries;
  }

  /**
   * The {@code dataset_info.json} of {@code folder}.
   *
   * @throws IllegalArgumentException saying what is wrong, when it is missing or no JSON object
   */
  static DatasetInfo of(Path folder) {
    Path file = folder.resolve("dataset_info.json");
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + " does not exist: dataset names are looked up in the dataset_dir's "
          + "dataset_info.json (LLaMA-Factory's data/dataset_info.json describes its format); set dataset_dir to the "
          + "folder that holds it");
    }
    try {
      JsonElement json = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
      if (!json.isJsonObject()) {
        throw new IllegalArgumentException(file + " must be a JSON object of data set names");
      }
      return new DatasetInfo(folder, json.getAsJsonObject());
    } catch (IOException | JsonParseException e) {
      throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage());
    }
  }

  /**
   * The data set called {@code name}.
   *
   * @throws IllegalArgumentException saying what is wrong and what to do
   */
  Dataset dataset(String name) {
    String where = folder.resolve("dataset_info.json") + ", \"" + name + "\"";
    JsonElement element = entries.get(name);
    if (element == null) {
      String known = Suggestions.closest(name, entries.keySet()).map(n -> ": did you mean '" + n + "'?")
          .orElse(": it has " + String.join(", ", Suggestions.nearest(name, entries.keySet(), 8))
              + (entries.size() > 8 ? ", …" : ""));
      throw new IllegalArgumentException("data set '" + name + "' is not in " + folder.resolve("dataset_info.json")
          + known);
    }
    if (!element.isJsonObject()) {
      throw new IllegalArgumentException(where + " must be an object such as {\"file_name\": \"data.json\"}");
    }
    JsonObject entry = element.getAsJsonObject();
    for (String key : entry.keySet()) {
      if (HUB_KEYS.contains(key) && !entry.has("file_name")) {
        throw new IllegalArgumentException(where + " is a data set on a hub (" + key + ": " + entry.get(key)
            + "): peft4j reads local files only; download it first and describe it with file_name");
      }
      if (!KNOWN_KEYS.contains(key)) {
        throw new IllegalArgumentException(where + ": unknown key '" + key + "'" + Suggestions.closest(key, KNOWN_KEYS)
            .map(k -> ": did you mean '" + k + "'?").orElse(""));
      }
    }
    for (String key : List.of("ranking", "subset", "folder", "num_samples")) {
      if (entry.has(key) && !entry.get(key).isJsonNull() && !"false".equals(entry.get(key).toString())) {
        throw new IllegalArgumentException(where + ": '" + key + "' is not supported: "
            + (key.equals("ranking") ? "peft4j trains sft and pt runs, not on preference pairs"
                : "peft4j reads the whole file; make a file of the examples to use"));
      }
    }
    String fileName = text(entry, "file_name", where);
    Path file = folder.resolve(fileName).normalize();
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException(where + ": file_name " + fileName + " is a folder: peft4j reads one .json or "
          + ".jsonl file a data set");
    }
    String formatting = entry.has("formatting") ? text(entry, "formatting", where).toLowerCase(Locale.ROOT) : "alpaca";
    if (!COLUMNS.containsKey(formatting)) {
      throw new IllegalArgumentException(where + ": formatting '" + formatting + "' is not one of alpaca, sharegpt");
    }
    String messages = checkColumns(entry, formatting, where);
    if (formatting.equals("sharegpt")) {
      checkMapping(entry, "tags", TAGS.get(messages), where);
    } else if (entry.has("tags")) {
      throw new IllegalArgumentException(where + ": tags belong to sharegpt data sets, and this one is alpaca");
    }
    return new Dataset(name, file, formatting);
  }

  /** Checks the column mapping and returns the ShareGPT messages column ({@code conversations} by default). */
  private static String checkColumns(JsonObject entry, String formatting, String where) {
    String messages = "conversations";
    if (entry.has("columns") && entry.get("columns").isJsonObject()) {
      JsonElement column = entry.getAsJsonObject("columns").get("messages");
      if (formatting.equals("sharegpt") && column != null && column.isJsonPrimitive()
          && column.getAsString().equals("messages")) {
        messages = "messages";
      }
    }
    Map<String, String> known = new java.util.HashMap<>(COLUMNS.get(formatting));
    known.put("messages", messages);
    checkMapping(entry, "columns", formatting.equals("sharegpt") ? known : COLUMNS.get(formatting), where);
    return messages;
  }

  private static void checkMapping(JsonObject entry, String key, Map<String, String> known, String where) {
    if (!entry.has(key) || entry.get(key).isJsonNull()) {
      return;
    }
    if (!entry.get(key).isJsonObject()) {
      throw new IllegalArgumentException(where + ": " + key + " must be an object of names");
    }
    List<String> unsupported = new ArrayList<>();
    for (Map.Entry<String, JsonElement> mapping : entry.getAsJsonObject(key).entrySet()) {
      String wanted = known.get(mapping.getKey());
      String given = mapping.getValue().isJsonPrimitive() ? mapping.getValue().getAsString() : mapping.getValue().toString();
      if (wanted == null) {
        unsupported.add(mapping.getKey() + " (not read by peft4j)");
      } else if (!wanted.equals(given)) {
        unsupported.add(mapping.getKey() + ": \"" + given + "\" (peft4j reads \"" + wanted + "\")");
      }
    }
    if (!unsupported.isEmpty()) {
      throw new IllegalArgumentException(where + ": " + key + " mappings onto other names are not supported yet: "
          + String.join(", ", unsupported) + "; rename the fields in the file to the names peft4j reads");
    }
  }

  private static String text(JsonObject entry, String key, String where) {
    JsonElement value = entry.get(key);
    if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
      throw new IllegalArgumentException(where + ": " + key + " must be a string");
    }
    return value.getAsString();
  }
}
