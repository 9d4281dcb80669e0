package dev.peft4j.runtime.tokenizer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the JSON files of a tokenizer, with errors that name the file. */
final class JsonFiles {

  private JsonFiles() {}

  static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new TokenizerException(file + " cannot be read: " + e);
    }
  }

  static JsonObject parseObject(Path file, String text) {
    try {
      JsonElement parsed = JsonParser.parseString(text);
      if (!parsed.isJsonObject()) {
        throw new TokenizerException(file + " is not a JSON object: the file is damaged; replace it with the one of the "
            + "model's repository");
      }
      return parsed.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new TokenizerException(file + " is not valid JSON (" + e.getMessage() + "): the file is damaged; replace it "
          + "with the one of the model's repository", e);
    }
  }

  /** A short description of a JSON value for error messages. */
  static String describe(JsonElement value) {
    String text = String.valueOf(value);
    return text.length() > 60 ? text.substring(0, 57) + "..." : text;
  }
}
