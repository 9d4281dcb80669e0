package dev.peft4j.runtime.data;

import dev.peft4j.runtime.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.Consumer;

/**
 * From a data file to examples: read the lines ({@link DataReader}), encode each (conversations through the
 * {@link ChatTemplate}, texts whole), cut to {@code cutoff-len}, optionally pack.
 *
 * <p>Texts ({@code format = text}) start with the beginning-of-sequence token when the tokenizer adds one
 * ({@link Tokenizer#addBosToken()}) and always end with the end-of-sequence token, so that the model learns where a
 * document ends (as LLaMA-Factory does for pre-training); every token is learned.
 *
 * <p>Cutting keeps the start of an example. An example whose learned tokens all lie beyond {@code cutoff-len} is
 * dropped and counted ({@link PreparedData#dropped()}).
 */
public final class Datasets {

  private Datasets() {}

  /**
   * The examples of {@code file}.
   *
   * @throws DataException when the file cannot be read, has no usable line, or has a bad line (one the chat template
   *     refuses included) and bad lines are not skipped
   */
  public static PreparedData prepare(Path file, DataOptions options, Tokenizer tokenizer) {
    Objects.requireNonNull(options, "options is null");
    SampleFile read = DataReader.read(file, options.format(), options.columns(), options.skipBadLines());
    List<DataLine> lines = options.maxSamples() >= 0 && read.lines().size() > options.maxSamples()
        ? read.lines().subList(0, options.maxSamples()) : read.lines();
    ChatTemplate template = ChatTemplate.of(tokenizer, options.template());
    BadLines bad = read.badLines();
    List<Example> examples = new ArrayList<>();
    int truncated = 0;
    int dropped = 0;
    int samples = 0;
    // A prompt of more characters than cutoff-len tokens can hold leaves no answer token within the cutoff: such an
    // example is dropped without encoding it (a 10 MB line costs gigabytes in the tokenizer). Four times the bound,
    // since a normalizer may shorten text.
    long promptLimit = 4L * options.cutoffLen() * tokenizer.longestTokenChars();
    for (DataLine line : lines) {
      if (line.sample() instanceof Conversation conversation && promptChars(conversation) > promptLimit) {
        samples++;
        dropped++;
        continue;
      }
      Example example;
      try {
        example = encode(line.sample(), template, tokenizer);
      } catch (ChatTemplateException e) {
        String reason = file + ":" + line.number() + ": " + e.getMessage();
        if (!options.skipBadLines()) {
          throw new DataException(reason, e);
        }
        bad = bad.plus(reason);
        continue;
      }
      samples++;
      boolean cut = example.length() > options.cutoffLen();
      if (cut) {
        example = line.sample() instanceof Conversation conversation
            ? template.encode(conversation, options.cutoffLen()) : example.truncate(options.cutoffLen());
      }
      if (example.predictedTokens() == 0) {
        dropped++;
        continue;
      }
      if (cut) {
        truncated++;
      }
      examples.add(example);
    }
    if (examples.isEmpty()) {
      throw new DataException(file + ": no example is left to learn from" + (dropped > 0 ? ": cutoff-len "
          + options.cutoffLen() + " cut away the answers of all " + dropped + "; raise data.cutoff-len" : "")
          + (bad.count() > 0 ? "\n" + bad.summary() : ""));
    }
    List<Example> result = options.packing() ? pack(examples, options.cutoffLen()) : examples;
    return new PreparedData(file, result, samples, truncated, dropped, bad);
  }

  /**
   * The examples of several files, one after the other: each file is read and cut as by {@link #prepare(Path,
   * DataOptions, Tokenizer)} (its summary goes to {@code summaries}), then the whole is packed when packing is on.
   */
  public static List<Example> prepare(List<Path> files, DataOptions options, Tokenizer tokenizer,
      Consumer<String> summaries) {
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no data file");
    }
    DataOptions each = files.size() == 1 ? options : options.withPacking(false);
    List<Example> examples = new ArrayList<>();
    for (Path file : files) {
      PreparedData data = prepare(file, each, tokenizer);
      summaries.accept(data.summary(options.cutoffLen()));
      examples.addAll(data.examples());
    }
    return options.packing() && files.size() > 1 ? pack(examples, options.cutoffLen()) : examples;
  }

  /** Examples to train on and examples held out from them. */
  public record Split(List<Example> train, List<Example> eval) {}

  /**
   * Holds out examples for evaluation ({@code data.val-size}, LLaMA-Factory's {@code val_size}): a fraction
   * {@code valSize} below 1 of them, rounded up, or {@code valSize} examples. Which ones is a permutation drawn from
   * {@code seed} (not the one of numpy's generator LLaMA-Factory's {@code train_test_split} draws, so other
   * examples); both parts keep the examples' order.
   *
   * @throws DataException when that holds out no example, or all of them
   */
  public static Split split(List<Example> examples, double valSize, long seed) {
    int n = examples.size();
    long held = valSize < 1 ? (long) Math.ceil(valSize * n) : (long) valSize;
    if (held < 1 || held >= n) {
      throw new DataException("data.val-size " + (valSize < 1 ? valSize : String.valueOf((long) valSize))
          + " holds out " + held + " of the " + n + " examples of data.train" + (held < 1 ? ", none"
              : ", leaving none to train on") + ": choose a val-size that keeps examples on both sides");
    }
    List<Integer> order = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(seed));
    boolean[] isHeld = new boolean[n];
    for (int i = 0; i < held; i++) {
      isHeld[order.get(i)] = true;
    }
    List<Example> train = new ArrayList<>(n - (int) held);
    List<Example> eval = new ArrayList<>((int) held);
    for (int i = 0; i < n; i++) {
      (isHeld[i] ? eval : train).add(examples.get(i));
    }
    return new Split(train, eval);
  }

  /** The characters of a conversation before its first answer. */
  private static long promptChars(Conversation conversation) {
    long chars = 0;
    for (Turn turn : conversation.turns()) {
      if (turn.role() == Role.ASSISTANT) {
        break;
      }
      chars += turn.content().length();
    }
    return chars;
  }

  /** One sample's example, not yet cut to any length. */
  public static Example encode(Sample sample, ChatTemplate template, Tokenizer tokenizer) {
    if (sample instanceof Conversation conversation) {
      return template.encode(conversation);
    }
    return encodeText(((PlainText) sample).text(), tokenizer);
  }

  /** A text, all learned: {@code <s>} if the tokenizer adds it, the text, {@code </s>}. */
  public static Example encodeText(String text, Tokenizer tokenizer) {
    Segments segments = new Segments();
    if (tokenizer.addBosToken()) {
      segments.add(tokenizer.bosId().getAsInt(), true);
    }
    return segments.add(tokenizer.encode(text), true).add(tokenizer.eosId(), true).example();
  }

  /**
   * Concatenates examples, in order, into sequences of at most {@code cutoffLen} tokens (each example goes whole into
   * one sequence). Labels stay those of each example, except that the first token of an example after the first of a
   * sequence is not learned: it would be predicted from the end of another example.
   *
   * @throws IllegalArgumentException when an example is longer than {@code cutoffLen}
   */
  public static List<Example> pack(List<Example> examples, int cutoffLen) {
    List<Example> packed = new ArrayList<>();
    int[] ids = new int[cutoffLen];
    int[] labels = new int[cutoffLen];
    int length = 0;
    for (Example example : examples) {
      if (example.length() > cutoffLen) {
        throw new IllegalArgumentException("an example of " + example.length() + " tokens is longer than cutoffLen "
            + cutoffLen + ": cut it first");
      }
      if (length + example.length() > cutoffLen) {
        packed.add(new Example(Arrays.copyOf(ids, length), Arrays.copyOf(labels, length)));
        length = 0;
      }
      System.arraycopy(example.inputIds(), 0, ids, length, example.length());
      System.arraycopy(example.labels(), 0, labels, length, example.length());
      if (length > 0) {
        labels[length] = Example.IGNORE;
      }
      length += example.length();
    }
    if (length > 0) {
      packed.add(new Example(Arrays.copyOf(ids, length), Arrays.copyOf(labels, length)));
    }
    return packed;
  }
}
