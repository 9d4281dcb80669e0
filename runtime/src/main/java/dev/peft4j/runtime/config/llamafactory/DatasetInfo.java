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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * LLaMA-Factory's {@code dataset_info.json}: data set names mapped to a file, its formatting and the names of its
 * columns ({@code data/parser.py}'s {@code DatasetAttr}). peft4j reads local files, their fields named by the entry's
 * {@code columns} and {@code tags} ({@code data.columns}, {@code data.tags}); a hub data set, a ranking (preference)
 * data set and columns peft4j cannot read (tools, images, …) are refused, each saying why.
 */
final class DatasetInfo {

  /**
   * One data set: its file, how peft4j reads it, and the names its entry gives: {@code columns} by LLaMA-Factory's
   * column names ({@code prompt}, {@code messages}, …), {@code tags} by peft4j's {@code data.tags} keys
   * ({@code role}, {@code user}, …).
   */
  record Dataset(String name, Path file, String formatting, Map<String, String> columns, Map<String, String> tags) {}

  /** The columns peft4j reads, by formatting. */
  private static final Map<String, Set<String>> COLUMNS = Map.of(
      "alpaca", Set.of("prompt", "query", "response", "system", "history"),
      "sharegpt", Set.of("messages", "system"));
  /** LLaMA-Factory's columns peft4j cannot read, and why. */
  private static final Map<String, String> UNREAD_COLUMNS = Map.of(
      "tools", "tool definitions are not supported yet",
      "images", "peft4j trains text models", "videos", "peft4j trains text models",
      "audios", "peft4j trains text models", "chosen", "peft4j trains sft and pt runs, not on preference pairs",
      "rejected", "peft4j trains sft and pt runs, not on preference pairs",
      "kto_tag", "peft4j trains sft and pt runs, not KTO");
  /** LLaMA-Factory's tags and the {@code data.tags} key each sets; its tool tags name roles peft4j refuses anyway. */
  private static final Map<String, String> TAGS = Map.of("role_tag", "role", "content_tag", "content",
      "user_tag", "user", "assistant_tag", "assistant", "system_tag", "system", "observation_tag", "",
      "function_tag", "");
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
    Map<String, String> columns = names(entry, "columns", where);
    for (String column : columns.keySet()) {
      if (UNREAD_COLUMNS.containsKey(column)) {
        throw new IllegalArgumentException(where + ": column '" + column + "' is not supported: "
            + UNREAD_COLUMNS.get(column) + "; remove it from columns");
      }
      if (!COLUMNS.get(formatting).contains(column)) {
        Set<String> known = COLUMNS.get(formatting);
        throw new IllegalArgumentException(where + ": " + formatting + " data sets have no column '" + column + "'"
            + Suggestions.closest(column, known).map(c -> ": did you mean '" + c + "'?")
                .orElse(": their columns are " + String.join(", ", new java.util.TreeSet<>(known))));
      }
    }
    Map<String, String> tags = new LinkedHashMap<>();
    for (Map.Entry<String, String> tag : names(entry, "tags", where).entrySet()) {
      String key = TAGS.get(tag.getKey());
      if (!formatting.equals("sharegpt")) {
        throw new IllegalArgumentException(where + ": tags belong to sharegpt data sets, and this one is alpaca");
      }
      if (key == null) {
        throw new IllegalArgumentException(where + ": unknown tag '" + tag.getKey() + "'" + Suggestions.closest(
            tag.getKey(), TAGS.keySet()).map(t -> ": did you mean '" + t + "'?").orElse(""));
      }
      if (!key.isEmpty()) {
        tags.put(key, tag.getValue());
      }
    }
    return new Dataset(name, file, formatting, columns, tags);
  }

  /** The object of names under {@code key} ({@code columns} or {@code tags}), in the entry's order; none if unset. */
  private static Map<String, String> names(JsonObject entry, String key, String where) {
    if (!entry.has(key) || entry.get(key).isJsonNull()) {
      return Map.of();
    }
    if (!entry.get(key).isJsonObject()) {
      throw new IllegalArgumentException(where + ": " + key + " must be an object of names");
    }
    Map<String, String> names = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> mapping : entry.getAsJsonObject(key).entrySet()) {
      JsonElement value = mapping.getValue();
      if (value.isJsonNull()) {
        continue; // LLaMA-Factory's default
      }
      if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString() || value.getAsString().isEmpty()) {
        throw new IllegalArgumentException(where + ": " + key + "." + mapping.getKey()
            + " must be the name of a field in the file, got " + value);
      }
      names.put(mapping.getKey(), value.getAsString());
    }
    return names;
  }

  private static String text(JsonObject entry, String key, String where) {
    JsonElement value = entry.get(key);
    if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
      throw new IllegalArgumentException(where + ": " + key + " must be a string");
    }
    return value.getAsString();
  }
}
