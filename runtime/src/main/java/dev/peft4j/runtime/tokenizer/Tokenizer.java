package dev.peft4j.runtime.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A Hugging Face tokenizer read from a model folder: {@code tokenizer.json} (through DJL's binding of the
 * Rust {@code tokenizers} library) and, if present, {@code tokenizer_config.json} and
 * {@code chat_template.jinja}.
 *
 * <p>{@link #encode} never adds special tokens, truncates or pads: callers add {@code bos}/{@code eos}
 * themselves (see {@link #addBosToken()}) so that they know exactly where every token comes from. Special
 * tokens written in the text (such as {@code </s>} produced by a chat template) are recognised, as
 * transformers does.
 *
 * <p>From {@code tokenizer_config.json}: {@code bos_token}, {@code eos_token}, {@code pad_token},
 * {@code unk_token} (strings or {@code {"content": ...}} objects), {@code add_bos_token},
 * {@code chat_template} and {@code model_max_length}. Without a {@code pad_token} the end-of-sequence
 * token pads, as transformers users do. Without an {@code eos_token} the tokenizer's special tokens are
 * searched for a usual one ({@code </s>}, {@code <|endoftext|>}, …). Without {@code add_bos_token}, a
 * beginning-of-sequence token is added when the tokenizer's own post-processor would add it.
 */
public final class Tokenizer implements AutoCloseable {

  /** End-of-sequence tokens of well-known tokenizers, tried when tokenizer_config.json names none. */
  private static final List<String> USUAL_EOS = List.of(
      "</s>", "<|endoftext|>", "<|end_of_text|>", "<eos>", "<|im_end|>", "<|eot_id|>");

  /** DJL adds no special tokens and neither truncates nor pads: {@link #encode} returns the text's tokens only. */
  private static final Map<String, String> PLAIN = Map.of(
      "addSpecialTokens", "false", "truncation", "false", "padding", "false");

  private final Path folder;
  private final HuggingFaceTokenizer tokenizer;
  private final int vocabSize;
  private final Optional<String> bosToken;
  private final OptionalInt bosId;
  private final String eosToken;
  private final int eosId;
  private final int padId;
  private final OptionalInt unkId;
  private final boolean addBosToken;
  private final Optional<String> chatTemplate;
  private final OptionalInt modelMaxLength;
  private final int longestToken;

  private Tokenizer(Path folder, HuggingFaceTokenizer tokenizer, int vocabSize, Optional<String> bosToken,
      OptionalInt bosId, String eosToken, int eosId, int padId, OptionalInt unkId, boolean addBosToken,
      Optional<String> chatTemplate, OptionalInt modelMaxLength, int longestToken) {
    this.folder = folder;
    this.longestToken = longestToken;
    this.tokenizer = tokenizer;
    this.vocabSize = vocabSize;
    this.bosToken = bosToken;
    this.bosId = bosId;
    this.eosToken = eosToken;
    this.eosId = eosId;
    this.padId = padId;
    this.unkId = unkId;
    this.addBosToken = addBosToken;
    this.chatTemplate = chatTemplate;
    this.modelMaxLength = modelMaxLength;
  }

  /**
   * Loads the tokenizer of a Hugging Face model folder.
   *
   * @throws TokenizerException when tokenizer.json is missing, or a file is malformed or names a token the
   *     vocabulary does not have; the message names the file
   */
  public static Tokenizer load(Path modelFolder) {
    try {
      return read(modelFolder);
    } catch (IllegalStateException | UnsupportedOperationException | ClassCastException | NumberFormatException e) {
      // Gson's typed getters throw these when a JSON value has another type than the format says.
      throw new TokenizerException("the tokenizer files in " + modelFolder + " hold a value of the wrong type ("
          + e.getMessage() + "): replace tokenizer.json and tokenizer_config.json with those of the model's repository", e);
    }
  }

  private static Tokenizer read(Path modelFolder) {
    Objects.requireNonNull(modelFolder, "modelFolder is null");
    if (!Files.isDirectory(modelFolder)) {
      throw new TokenizerException("model folder " + modelFolder + " does not exist: check model.path (relative paths in a "
          + "run file are relative to the file's folder)");
    }
    Path tokenizerFile = modelFolder.resolve("tokenizer.json");
    if (!Files.isRegularFile(tokenizerFile)) {
      throw new TokenizerException(tokenizerFile + " does not exist: a model folder needs the tokenizer.json of its "
          + "Hugging Face (fast) tokenizer; copy it from the model's repository, or make a model with "
          + "`peft4j init-model`, which writes one");
    }
    String tokenizerText = JsonFiles.read(tokenizerFile);
    JsonObject tokenizerJson = JsonFiles.parseObject(tokenizerFile, tokenizerText);
    Vocabulary vocabulary = Vocabulary.of(tokenizerFile, tokenizerJson);

    Path configFile = modelFolder.resolve("tokenizer_config.json");
    JsonObject config = Files.isRegularFile(configFile)
        ? JsonFiles.parseObject(configFile, JsonFiles.read(configFile)) : new JsonObject();
    SpecialTokens specials = new SpecialTokens(configFile, config, tokenizerFile, vocabulary);

    Optional<String> bosToken = specials.token("bos_token");
    OptionalInt bosId = bosToken.isPresent() ? OptionalInt.of(specials.id("bos_token", bosToken.get())) : OptionalInt.empty();
    String eosToken = specials.token("eos_token").orElseGet(() -> USUAL_EOS.stream().filter(vocabulary::isSpecial)
        .findFirst().orElseThrow(() -> new TokenizerException(configFile + " does not set eos_token, and " + tokenizerFile
            + " has none of the usual end-of-sequence tokens (" + String.join(", ", USUAL_EOS) + "): add \"eos_token\": "
            + "\"...\" with the model's end-of-sequence token to tokenizer_config.json")));
    int eosId = specials.id("eos_token", eosToken);
    int padId = specials.token("pad_token").map(pad -> specials.id("pad_token", pad)).orElse(eosId);
    OptionalInt unkId = specials.token("unk_token").map(unk -> OptionalInt.of(specials.id("unk_token", unk)))
        .orElse(OptionalInt.empty());
    boolean addBos = addBosToken(configFile, config, tokenizerJson, bosToken);
    Optional<String> template = chatTemplate(modelFolder, configFile, config);
    OptionalInt maxLength = modelMaxLength(configFile, config);

    // DJL reports its usage to AWS unless told not to; a tokenizer read from local files has no business calling out.
    if (System.getProperty("OPT_OUT_TRACKING") == null && System.getenv("OPT_OUT_TRACKING") == null) {
      System.setProperty("OPT_OUT_TRACKING", "true");
    }
    HuggingFaceTokenizer loaded;
    try {
      loaded = HuggingFaceTokenizer.newInstance(
          new ByteArrayInputStream(tokenizerText.getBytes(StandardCharsets.UTF_8)), PLAIN);
    } catch (IOException | RuntimeException e) {
      throw new TokenizerException(tokenizerFile + " cannot be loaded by Hugging Face tokenizers: " + e.getMessage()
          + "; replace it with the one of the model's repository", e);
    } catch (UnsatisfiedLinkError e) {
      throw new TokenizerException("the native library of Hugging Face tokenizers cannot be loaded on "
          + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ": " + e.getMessage()
          + "; DJL's tokenizers jar bundles it for linux-x86_64, linux-aarch64, macOS and Windows", e);
    }
    return new Tokenizer(modelFolder, loaded, vocabulary.size(), bosToken, bosId, eosToken, eosId, padId, unkId, addBos,
        template, maxLength, vocabulary.longestToken());
  }

  /** The token ids of {@code text}, without special tokens added, untruncated. */
  public int[] encode(String text) {
    Objects.requireNonNull(text, "text is null");
    if (text.isEmpty()) {
      return new int[0];
    }
    long[] ids = tokenizer.encode(text, false, false).getIds();
    int[] result = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      result[i] = Math.toIntExact(ids[i]);
    }
    return result;
  }

  /**
   * The text of {@code ids}.
   *
   * @param skipSpecialTokens leave out special tokens ({@code <s>}, {@code </s>}, padding…)
   */
  public String decode(int[] ids, boolean skipSpecialTokens) {
    long[] longs = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= vocabSize) {
        throw new TokenizerException("cannot decode id " + ids[i] + " at position " + i + ": the tokenizer of " + folder
            + " has ids 0 to " + (vocabSize - 1));
      }
      longs[i] = ids[i];
    }
    return tokenizer.decode(longs, skipSpecialTokens);
  }

  /** The number of ids (the largest id plus one), added tokens included; the model's embedding has at least as many rows. */
  /**
   * The most characters of text one token can stand for: the longest token string of the vocabulary (a
   * byte-level token's string is at least as long as the text it decodes to). A text of {@code n * longest}
   * characters has at least {@code n} tokens, which lets a reader know a text is too long without encoding it.
   */
  public int longestTokenChars() {
    return longestToken;
  }

  public int vocabSize() {
    return vocabSize;
  }

  public OptionalInt bosId() {
    return bosId;
  }

  /** The beginning-of-sequence token as text ({@code <s>}), passed to chat templates as {@code bos_token}. */
  public Optional<String> bosToken() {
    return bosToken;
  }

  public int eosId() {
    return eosId;
  }

  /** The end-of-sequence token as text ({@code </s>}), passed to chat templates as {@code eos_token}. */
  public String eosToken() {
    return eosToken;
  }

  /** The padding id: tokenizer_config.json's pad_token, else the end-of-sequence id. */
  public int padId() {
    return padId;
  }

  public OptionalInt unkId() {
    return unkId;
  }

  /** Whether a text starts with the beginning-of-sequence token when the tokenizer adds special tokens. */
  public boolean addBosToken() {
    return addBosToken && bosId.isPresent();
  }

  /** The Jinja chat template of the tokenizer, if it has one. */
  public Optional<String> chatTemplate() {
    return chatTemplate;
  }

  /** tokenizer_config.json's model_max_length, when it is a real bound (some files write 1e30 for none). */
  public OptionalInt modelMaxLength() {
    return modelMaxLength;
  }

  /** The model folder the tokenizer was read from. */
  public Path folder() {
    return folder;
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  @Override
  public String toString() {
    return "Tokenizer[" + folder + ", " + vocabSize + " ids, eos " + eosToken + "=" + eosId + "]";
  }

  private static boolean addBosToken(Path configFile, JsonObject config, JsonObject tokenizerJson, Optional<String> bos) {
    JsonElement value = config.get("add_bos_token");
    if (value != null && !value.isJsonNull()) {
      if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean()) {
        throw new TokenizerException(configFile + ": add_bos_token must be true or false, got " + JsonFiles.describe(value));
      }
      return value.getAsBoolean();
    }
    return bos.isPresent() && postProcessorStartsWith(tokenizerJson.get("post_processor"), bos.get());
  }

  /** Whether a TemplateProcessing post-processor (alone or in a Sequence) puts {@code token} first. */
  private static boolean postProcessorStartsWith(JsonElement processor, String token) {
    if (processor == null || !processor.isJsonObject()) {
      return false;
    }
    JsonObject object = processor.getAsJsonObject();
    String type = object.has("type") ? object.get("type").getAsString() : "";
    if (type.equals("Sequence") && object.get("processors") instanceof JsonArray processors) {
      for (JsonElement inner : processors) {
        if (postProcessorStartsWith(inner, token)) {
          return true;
        }
      }
      return false;
    }
    if (!type.equals("TemplateProcessing") || !(object.get("single") instanceof JsonArray single) || single.isEmpty()) {
      return false;
    }
    JsonElement first = single.get(0);
    return first.isJsonObject() && first.getAsJsonObject().get("SpecialToken") instanceof JsonObject special
        && special.has("id") && token.equals(special.get("id").getAsString());
  }

  private static Optional<String> chatTemplate(Path folder, Path configFile, JsonObject config) {
    Path jinja = folder.resolve("chat_template.jinja");
    if (Files.isRegularFile(jinja)) {
      return Optional.of(JsonFiles.read(jinja));
    }
    JsonElement value = config.get("chat_template");
    if (value == null || value.isJsonNull()) {
      return Optional.empty();
    }
    if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isString()) {
      return Optional.of(value.getAsString());
    }
    if (value.isJsonArray()) {
      // Several named templates: [{"name": "default", "template": "..."}, {"name": "tool_use", ...}].
      for (JsonElement element : value.getAsJsonArray()) {
        if (element.isJsonObject() && element.getAsJsonObject().has("name") && element.getAsJsonObject().has("template")
            && "default".equals(element.getAsJsonObject().get("name").getAsString())) {
          return Optional.of(element.getAsJsonObject().get("template").getAsString());
        }
      }
      throw new TokenizerException(configFile + ": chat_template is a list without an entry named \"default\": add one, "
          + "or make chat_template a single template string");
    }
    throw new TokenizerException(configFile + ": chat_template must be a string (a Jinja template), got "
        + JsonFiles.describe(value));
  }

  private static OptionalInt modelMaxLength(Path configFile, JsonObject config) {
    JsonElement value = config.get("model_max_length");
    if (value == null || value.isJsonNull()) {
      return OptionalInt.empty();
    }
    if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isNumber()) {
      throw new TokenizerException(configFile + ": model_max_length must be a number, got " + JsonFiles.describe(value));
    }
    double length = value.getAsDouble();
    return length >= 1 && length <= Integer.MAX_VALUE ? OptionalInt.of((int) length) : OptionalInt.empty();
  }

  /** Reads the special tokens of tokenizer_config.json and finds their ids in tokenizer.json. */
  private record SpecialTokens(Path configFile, JsonObject config, Path tokenizerFile, Vocabulary vocabulary) {

    Optional<String> token(String key) {
      JsonElement value = config.get(key);
      if (value == null || value.isJsonNull()) {
        return Optional.empty();
      }
      if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isString()) {
        return Optional.of(value.getAsString());
      }
      JsonElement content = value.isJsonObject() ? value.getAsJsonObject().get("content") : null;
      if (content != null && content.isJsonPrimitive() && content.getAsJsonPrimitive().isString()) {
        return Optional.of(content.getAsString());
      }
      throw new TokenizerException(configFile + ": " + key + " must be a string or an object with a \"content\" string, got "
          + JsonFiles.describe(value));
    }

    int id(String key, String token) {
      return vocabulary.id(token).orElseThrow(() -> new TokenizerException(configFile + ": " + key + " \"" + token
          + "\" is not a token of " + tokenizerFile + ": the two files do not belong together; take both from the same "
          + "model"));
    }
  }
}
