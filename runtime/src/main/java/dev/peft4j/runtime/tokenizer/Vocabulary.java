package dev.peft4j.runtime.tokenizer;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The token strings and ids of a {@code tokenizer.json}: its model's vocabulary (an object for BPE,
 * WordPiece and WordLevel, a list of {@code [piece, score]} for Unigram) and its added tokens.
 */
final class Vocabulary {

  private final Map<String, Integer> ids;
  private final Set<String> specialTokens;
  private final int size;

  private Vocabulary(Map<String, Integer> ids, Set<String> specialTokens, int size) {
    this.ids = Map.copyOf(ids);
    this.specialTokens = Set.copyOf(specialTokens);
    this.size = size;
  }

  static Vocabulary of(Path file, JsonObject tokenizerJson) {
    Map<String, Integer> ids = new HashMap<>();
    int maxId = -1;
    JsonElement model = tokenizerJson.get("model");
    if (model == null || !model.isJsonObject()) {
      throw new TokenizerException(file + " has no \"model\" object: it is not a Hugging Face tokenizers file "
          + "(the fast tokenizer's tokenizer.json); replace it with the one of the model's repository");
    }
    JsonElement vocab = model.getAsJsonObject().get("vocab");
    try {
      if (vocab != null && vocab.isJsonObject()) {
        for (Map.Entry<String, JsonElement> entry : vocab.getAsJsonObject().entrySet()) {
          int id = entry.getValue().getAsInt();
          ids.put(entry.getKey(), id);
          maxId = Math.max(maxId, id);
        }
      } else if (vocab != null && vocab.isJsonArray()) {
        JsonArray pieces = vocab.getAsJsonArray();
        for (int id = 0; id < pieces.size(); id++) {
          JsonElement piece = pieces.get(id);
          ids.putIfAbsent(piece.isJsonArray() ? piece.getAsJsonArray().get(0).getAsString() : piece.getAsString(), id);
          maxId = Math.max(maxId, id);
        }
      } else {
        throw new TokenizerException(file + ": model.vocab is missing or neither an object nor a list; replace the "
            + "file with the one of the model's repository");
      }
    } catch (IllegalStateException | UnsupportedOperationException | NumberFormatException e) {
      throw new TokenizerException(file + ": model.vocab has an entry that is not a token and an id: " + e.getMessage(), e);
    }
    Set<String> specials = new LinkedHashSet<>();
    JsonElement added = tokenizerJson.get("added_tokens");
    if (added != null && added.isJsonArray()) {
      for (JsonElement element : added.getAsJsonArray()) {
        if (!element.isJsonObject() || !element.getAsJsonObject().has("id") || !element.getAsJsonObject().has("content")) {
          throw new TokenizerException(file + ": an entry of added_tokens has no id or content: " + JsonFiles.describe(element));
        }
        JsonObject token = element.getAsJsonObject();
        int id;
        String content;
        try {
          id = token.get("id").getAsInt();
          content = token.get("content").getAsString();
        } catch (IllegalStateException | UnsupportedOperationException | NumberFormatException e) {
          throw new TokenizerException(file + ": an entry of added_tokens has a bad id or content: " + JsonFiles.describe(element), e);
        }
        ids.put(content, id);
        maxId = Math.max(maxId, id);
        if (token.has("special") && token.get("special").isJsonPrimitive() && token.get("special").getAsBoolean()) {
          specials.add(content);
        }
      }
    }
    return new Vocabulary(ids, specials, maxId + 1);
  }

  OptionalInt id(String token) {
    Integer id = ids.get(token);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  boolean isSpecial(String token) {
    return specialTokens.contains(token);
  }

  /** The largest id plus one: the number of rows an embedding needs. */
  /** The length in chars of the longest token string (vocabulary or added): no token stands for more text. */
  int longestToken() {
    return ids.keySet().stream().mapToInt(String::length).max().orElse(1);
  }

  int size() {
    return size;
  }
}
