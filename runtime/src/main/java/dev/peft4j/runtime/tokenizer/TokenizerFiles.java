package dev.peft4j.runtime.tokenizer;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes tokenizers, for models made from scratch ({@code peft4j init-model}), where nothing can be downloaded.
 *
 * <p>The character tokenizer is a Hugging Face {@code tokenizers} BPE model without merges and without a
 * pre-tokenizer: every character is one token, a character outside the vocabulary becomes {@code <unk>}
 * (one {@code <unk>} per character), and a {@code Fuse} decoder joins the tokens back without spaces.
 * Ids: {@code <pad>} 0, {@code <s>} 1, {@code </s>} 2, {@code <unk>} 3, then newline, space and the
 * printable ASCII characters {@code !} to {@code ~} (ids 4 to 99), then any further characters asked for.
 * DJL's tokenizers and Python's {@code tokenizers} / {@code transformers.AutoTokenizer} load the folder
 * alike; with special tokens on (Python's default) it adds {@code <s>} at the start, as
 * {@code add_bos_token = true} in tokenizer_config.json says.
 */
public final class TokenizerFiles {

  public static final String PAD = "<pad>";
  public static final String BOS = "<s>";
  public static final String EOS = "</s>";
  public static final String UNK = "<unk>";
  /** The special tokens, in id order: {@code <pad>} 0, {@code <s>} 1, {@code </s>} 2, {@code <unk>} 3. */
  public static final List<String> SPECIAL_TOKENS = List.of(PAD, BOS, EOS, UNK);
  /** model_max_length written when the caller does not say. */
  public static final int DEFAULT_MODEL_MAX_LENGTH = 2048;

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create();

  private TokenizerFiles() {}

  /** Newline, space and the printable ASCII characters {@code !} to {@code ~}: the base of every character vocabulary. */
  public static List<String> baseCharacters() {
    List<String> characters = new ArrayList<>(List.of("\n", " "));
    for (char c = '!'; c <= '~'; c++) {
      characters.add(String.valueOf(c));
    }
    return List.copyOf(characters);
  }

  /** {@link #writeCharacterTokenizer(Path, List, int)} with model_max_length {@value #DEFAULT_MODEL_MAX_LENGTH}. */
  public static void writeCharacterTokenizer(Path folder, List<String> characters) {
    writeCharacterTokenizer(folder, characters, DEFAULT_MODEL_MAX_LENGTH);
  }

  /**
   * Writes {@code tokenizer.json}, {@code tokenizer_config.json} and {@code special_tokens_map.json} of a
   * character-level tokenizer into {@code folder} (created if needed), replacing files of those names.
   *
   * @param characters characters beyond the {@linkplain #baseCharacters() base set} (e.g. {@code "é"}), each one
   *     Unicode code point; those already in the vocabulary are ignored. An empty list gives the base vocabulary
   *     of 100 ids.
   * @param modelMaxLength the longest sequence the model takes (its max_position_embeddings)
   */
  public static void writeCharacterTokenizer(Path folder, List<String> characters, int modelMaxLength) {
    Objects.requireNonNull(folder, "folder is null");
    Objects.requireNonNull(characters, "characters is null");
    if (modelMaxLength < 1) {
      throw new IllegalArgumentException("modelMaxLength must be at least 1, got " + modelMaxLength);
    }
    Set<String> vocabulary = new LinkedHashSet<>(SPECIAL_TOKENS);
    vocabulary.addAll(baseCharacters());
    for (int i = 0; i < characters.size(); i++) {
      String character = characters.get(i);
      if (character == null || character.codePointCount(0, character.length()) != 1) {
        throw new IllegalArgumentException("characters[" + i + "] must be exactly one character (one Unicode code point), got "
            + (character == null ? "null" : "\"" + character + "\""));
      }
      vocabulary.add(character);
    }

    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (String token : vocabulary) {
      vocab.put(token, vocab.size());
    }
    List<Map<String, Object>> added = new ArrayList<>();
    for (String special : SPECIAL_TOKENS) {
      Map<String, Object> token = new LinkedHashMap<>();
      token.put("id", vocab.get(special));
      token.put("content", special);
      token.put("single_word", false);
      token.put("lstrip", false);
      token.put("rstrip", false);
      token.put("normalized", false);
      token.put("special", true);
      added.add(token);
    }
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("type", "BPE");
    model.put("dropout", null);
    model.put("unk_token", UNK);
    model.put("continuing_subword_prefix", null);
    model.put("end_of_word_suffix", null);
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("vocab", vocab);
    model.put("merges", List.of());

    Map<String, Object> tokenizer = new LinkedHashMap<>();
    tokenizer.put("version", "1.0");
    tokenizer.put("truncation", null);
    tokenizer.put("padding", null);
    tokenizer.put("added_tokens", added);
    tokenizer.put("normalizer", null);
    tokenizer.put("pre_tokenizer", null);
    tokenizer.put("post_processor", bosTemplate(vocab.get(BOS)));
    tokenizer.put("decoder", object("type", "Fuse"));
    tokenizer.put("model", model);

    Map<String, Object> specialTokens = new LinkedHashMap<>();
    specialTokens.put("bos_token", BOS);
    specialTokens.put("eos_token", EOS);
    specialTokens.put("unk_token", UNK);
    specialTokens.put("pad_token", PAD);

    Map<String, Object> config = new LinkedHashMap<>();
    config.put("tokenizer_class", "PreTrainedTokenizerFast");
    config.putAll(specialTokens);
    config.put("add_bos_token", true);
    config.put("add_eos_token", false);
    config.put("model_max_length", modelMaxLength);
    config.put("padding_side", "right");
    config.put("clean_up_tokenization_spaces", false);

    try {
      Files.createDirectories(folder);
      write(folder.resolve("tokenizer.json"), tokenizer);
      write(folder.resolve("tokenizer_config.json"), config);
      write(folder.resolve("special_tokens_map.json"), specialTokens);
    } catch (IOException e) {
      throw new TokenizerException("cannot write the tokenizer into " + folder + ": " + e);
    }
  }

  /** A post-processor that puts {@code <s>} first when special tokens are added, as SentencePiece-style tokenizers do. */
  private static Map<String, Object> bosTemplate(int bosId) {
    Map<String, Object> bos = object("SpecialToken", object("id", BOS, "type_id", 0));
    Map<String, Object> first = object("Sequence", object("id", "A", "type_id", 0));
    Map<String, Object> bosOfSecond = object("SpecialToken", object("id", BOS, "type_id", 1));
    Map<String, Object> second = object("Sequence", object("id", "B", "type_id", 1));
    return object("type", "TemplateProcessing", "single", List.of(bos, first), "pair", List.of(bos, first, bosOfSecond, second),
        "special_tokens", object(BOS, object("id", BOS, "ids", List.of(bosId), "tokens", List.of(BOS))));
  }

  /** A JSON object whose keys keep their order, so that the files are the same on every run. */
  private static Map<String, Object> object(Object... keysAndValues) {
    Map<String, Object> object = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      object.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return object;
  }

  private static void write(Path file, Object json) throws IOException {
    Files.writeString(file, GSON.toJson(json) + "\n", StandardCharsets.UTF_8);
  }
}
