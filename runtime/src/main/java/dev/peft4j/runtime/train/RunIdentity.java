package dev.peft4j.runtime.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a run is, written into each of its checkpoints ({@code run.json}) so that {@code --resume} continues only
 * the run that wrote them: its settings as resolved (every key that shapes the training, each with its value),
 * a hash of them, the identity of its training data and the version of the code.
 *
 * @param settings {@code key -> value} as HOCON renders it, sorted by key
 * @param data the training data: file name, size and checksum
 * @param code the peft4j version that trained
 */
public record RunIdentity(SortedMap<String, String> settings, String data, String code) {

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

  /** The key under which a difference in the training data is named. */
  public static final String DATA = "(training data)";

  public RunIdentity {
    settings = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(Objects.requireNonNull(settings, "settings is null")));
    Objects.requireNonNull(data, "data is null");
    Objects.requireNonNull(code, "code is null");
  }

  /** One setting whose value in a checkpoint differs from this run's. */
  public record Difference(String key, String checkpoint, String now) {
    @Override
    public String toString() {
      return key + ": " + checkpoint + " in the checkpoint, " + now + " now";
    }
  }

  /** SHA-256 of the settings, one {@code key = value} line each: equal hashes, equal settings. */
  public String settingsHash() {
    StringBuilder text = new StringBuilder();
    settings.forEach((key, value) -> text.append(key).append(" = ").append(value).append('\n'));
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** How {@code saved} (a checkpoint's) differs from this run: settings by key, then the data; the code is not compared. */
  public List<Difference> differences(RunIdentity saved) {
    List<Difference> differences = new ArrayList<>();
    TreeMap<String, String> keys = new TreeMap<>(saved.settings);
    keys.putAll(settings);
    for (String key : keys.keySet()) {
      String then = saved.settings.getOrDefault(key, "(unset)");
      String now = settings.getOrDefault(key, "(unset)");
      if (!then.equals(now)) {
        differences.add(new Difference(key, then, now));
      }
    }
    if (!data.equals(saved.data)) {
      differences.add(new Difference(DATA, saved.data, data));
    }
    return differences;
  }

  public String toJson() {
    JsonObject json = new JsonObject();
    json.addProperty("settings_hash", settingsHash());
    json.add("settings", GSON.toJsonTree(settings));
    json.addProperty("data", data);
    json.addProperty("code", code);
    return GSON.toJson(json);
  }

  /**
   * @throws IllegalArgumentException when the text is not what {@link #toJson} writes, or its hash does not
   *     match its settings (the file was edited or damaged)
   */
  public static RunIdentity fromJson(String text) {
    RunIdentity identity;
    String hash;
    try {
      JsonObject json = JsonParser.parseString(text).getAsJsonObject();
      SortedMap<String, String> settings = new TreeMap<>();
      for (Map.Entry<String, com.google.gson.JsonElement> entry : json.getAsJsonObject("settings").entrySet()) {
        settings.put(entry.getKey(), entry.getValue().getAsString());
      }
      identity = new RunIdentity(settings, json.get("data").getAsString(), json.get("code").getAsString());
      hash = json.get("settings_hash").getAsString();
    } catch (RuntimeException e) {
      // Gson's parse errors, a missing member (null), a member of another type: all say the same to a user.
      throw new IllegalArgumentException("it is not a run identity as peft4j writes it (" + e.getMessage() + ")", e);
    }
    if (!identity.settingsHash().equals(hash)) {
      throw new IllegalArgumentException("its settings_hash does not match its settings");
    }
    return identity;
  }
}
