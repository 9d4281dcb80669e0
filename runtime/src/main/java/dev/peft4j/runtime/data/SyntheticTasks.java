package dev.peft4j.runtime.data;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

/**
 * The data set peft4j ships ({@code examples/data/train.jsonl} and {@code eval.jsonl}), made here rather than
 * downloaded: additions of two-digit numbers, {@code {"instruction": "What is 23 + 58?", "output": "81"}} in alpaca
 * format.
 *
 * <p>Why this task: with a character tokenizer an example is about 53 tokens, the answer 2 or 3 digits and the
 * end-of-sequence token; a model of ~100k parameters trained from scratch on a CPU core goes from 0 to well over half
 * of the held-out sums exactly right within a couple of thousand steps of batch 32, so that learning is plain to see
 * by exact match. The held-out split is made of sums whose pair of numbers appears in the training split in neither
 * order ({@code 23 + 58} held out means {@code 58 + 23} is too), so the model must add, not remember.
 *
 * <p>A test ({@code SyntheticTasksTest}) checks that the shipped files are what this class makes; after a change here,
 * rewrite them with {@code mvn -o -q test -pl runtime -am -Dtest=SyntheticTasksTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dpeft4j.write-data=true} (or run {@link #main} with the folder).
 */
public final class SyntheticTasks {

  public static final long SEED = 42;
  public static final int TRAIN_SIZE = 4000;
  public static final int EVAL_SIZE = 200;
  /** Operands run from 10 to 99: always two digits, so every prompt has the same shape. */
  public static final int LOWEST = 10;
  public static final int HIGHEST = 99;

  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  private SyntheticTasks() {}

  /** One alpaca line: an instruction and its answer. */
  public record Item(String instruction, String output) {
    public Item {
      Objects.requireNonNull(instruction, "instruction is null");
      Objects.requireNonNull(output, "output is null");
    }

    /** {@code {"instruction":"What is 23 + 58?","output":"81"}} */
    public String toJson() {
      Map<String, String> line = new LinkedHashMap<>();
      line.put("instruction", instruction);
      line.put("output", output);
      return GSON.toJson(line);
    }
  }

  /** A training and a held-out split that share no pair of numbers. */
  public record Split(List<Item> train, List<Item> eval) {
    public Split {
      train = List.copyOf(train);
      eval = List.copyOf(eval);
    }
  }

  /** The shipped data set: {@link #TRAIN_SIZE} training and {@link #EVAL_SIZE} held-out additions from {@link #SEED}. */
  public static Split additions() {
    return additions(SEED, TRAIN_SIZE, EVAL_SIZE);
  }

  /**
   * Additions of two numbers from {@value #LOWEST} to {@value #HIGHEST}, the same for the same arguments.
   *
   * @throws IllegalArgumentException when there are not that many distinct sums to make
   */
  public static Split additions(long seed, int trainSize, int evalSize) {
    List<int[]> pairs = new ArrayList<>();
    for (int a = LOWEST; a <= HIGHEST; a++) {
      for (int b = a; b <= HIGHEST; b++) {
        pairs.add(new int[] {a, b});
      }
    }
    if (evalSize < 0 || trainSize < 0 || evalSize > pairs.size()) {
      throw new IllegalArgumentException("evalSize must be between 0 and " + pairs.size() + " and trainSize at least 0, got "
          + evalSize + " and " + trainSize);
    }
    Random random = new Random(seed);
    shuffle(pairs, random);
    List<Item> eval = new ArrayList<>();
    for (int[] pair : pairs.subList(0, evalSize)) {
      eval.add(random.nextBoolean() ? item(pair[0], pair[1]) : item(pair[1], pair[0]));
    }
    List<int[]> ordered = new ArrayList<>();
    for (int[] pair : pairs.subList(evalSize, pairs.size())) {
      ordered.add(pair);
      if (pair[0] != pair[1]) {
        ordered.add(new int[] {pair[1], pair[0]});
      }
    }
    if (trainSize > ordered.size()) {
      throw new IllegalArgumentException("only " + ordered.size() + " training sums are left after holding out " + evalSize
          + ", got trainSize " + trainSize);
    }
    shuffle(ordered, random);
    List<Item> train = new ArrayList<>();
    for (int[] pair : ordered.subList(0, trainSize)) {
      train.add(item(pair[0], pair[1]));
    }
    return new Split(train, eval);
  }

  /** The lines of a JSON-lines file of {@code items}, each ending with a newline. */
  public static String jsonLines(List<Item> items) {
    StringBuilder text = new StringBuilder();
    items.forEach(item -> text.append(item.toJson()).append('\n'));
    return text.toString();
  }

  /** Writes {@code train.jsonl} and {@code eval.jsonl} of the shipped data set into {@code folder}. */
  public static void write(Path folder) throws IOException {
    Split split = additions();
    Files.createDirectories(folder);
    Files.writeString(folder.resolve("train.jsonl"), jsonLines(split.train()), StandardCharsets.UTF_8);
    Files.writeString(folder.resolve("eval.jsonl"), jsonLines(split.eval()), StandardCharsets.UTF_8);
  }

  /** Writes the shipped data set into the folder given (default {@code examples/data}). */
  public static void main(String[] args) {
    Path folder = Path.of(args.length > 0 ? args[0] : "examples/data");
    try {
      write(folder);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the data set into " + folder, e);
    }
    System.out.println("wrote " + folder.resolve("train.jsonl") + " (" + TRAIN_SIZE + " lines) and "
        + folder.resolve("eval.jsonl") + " (" + EVAL_SIZE + " lines)");
  }

  private static Item item(int a, int b) {
    return new Item("What is " + a + " + " + b + "?", Integer.toString(a + b));
  }

  /** Fisher–Yates with {@link Random}, whose sequence Java specifies: the same order on every JVM. */
  private static <T> void shuffle(List<T> list, Random random) {
    for (int i = list.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      T swap = list.get(i);
      list.set(i, list.get(j));
      list.set(j, swap);
    }
  }
}
