package dev.peft4j.runtime.generate;

import ai.djl.ndarray.NDManager;
import dev.peft4j.runtime.config.CoreSettings.DataFormat;
import dev.peft4j.runtime.config.CoreSettings.TemplateName;
import dev.peft4j.runtime.data.ChatTemplate;
import dev.peft4j.runtime.data.Conversation;
import dev.peft4j.runtime.data.DataReader;
import dev.peft4j.runtime.data.ExactMatch;
import dev.peft4j.runtime.data.Sample;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Held-out exact match: the model answers each prompt greedily; an answer counts when it equals the reference. The
 * prompts are answered in batches of similar lengths (less padding), each batch decoded together ({@link
 * Generator}); the answers come back in the data's order.
 */
public final class Evaluation {

  /** Prompts decoded together unless told otherwise ({@code peft4j evaluate --batch-size}). */
  public static final int DEFAULT_BATCH_SIZE = 8;

  private Evaluation() {}

  /** What the model answered, and the score. */
  public record Answers(List<String> prompts, List<String> predicted, List<String> references, ExactMatch score) {}

  /** Told after each batch how many prompts of how many are answered. */
  @FunctionalInterface
  public interface Progress {
    void answered(int done, int total);
  }

  /** In batches of {@link #DEFAULT_BATCH_SIZE}, silently. */
  public static Answers exactMatch(CausalLm model, Tokenizer tokenizer, NDManager manager, Path data,
      DataFormat format, int limit, int maxNewTokens) {
    return exactMatch(model, tokenizer, manager, data, format, limit, maxNewTokens, DEFAULT_BATCH_SIZE, (d, t) -> {});
  }

  /**
   * @param limit at most this many examples (the first of the file)
   * @param batchSize prompts decoded together, at least 1
   */
  public static Answers exactMatch(CausalLm model, Tokenizer tokenizer, NDManager manager, Path data,
      DataFormat format, int limit, int maxNewTokens, int batchSize, Progress progress) {
    return exactMatch(model, tokenizer, manager, data, format, limit, maxNewTokens, batchSize, progress,
        TemplateName.MODEL);
  }

  /**
   * @param template the chat template the prompts go through: the model's own, or the one of LLaMA-Factory's that
   *     training used ({@code data.template})
   * @throws dev.peft4j.runtime.data.ChatTemplateException when the named template is for another model family
   */
  public static Answers exactMatch(CausalLm model, Tokenizer tokenizer, NDManager manager, Path data,
      DataFormat format, int limit, int maxNewTokens, int batchSize, Progress progress, TemplateName templateName) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("the evaluation batch size must be at least 1, not " + batchSize);
    }
    ChatTemplate template = ChatTemplate.of(tokenizer, templateName);
    List<String> prompts = new ArrayList<>();
    List<int[]> encoded = new ArrayList<>();
    List<String> references = new ArrayList<>();
    for (Sample sample : DataReader.read(data, format, false).samples()) {
      if (!(sample instanceof Conversation conversation) || prompts.size() >= limit) {
        continue;
      }
      encoded.add(template.encodePrompt(conversation.prompt()));
      prompts.add(conversation.prompt().get(conversation.prompt().size() - 1).content());
      references.add(conversation.answer());
    }
    int total = encoded.size();
    Integer[] byLength = new Integer[total];
    Arrays.setAll(byLength, i -> i);
    Arrays.sort(byLength, Comparator.comparingInt(i -> encoded.get(i).length));
    Generator generator = new Generator(model, manager);
    String[] predicted = new String[total];
    for (int from = 0; from < total; from += batchSize) {
      List<Integer> rows = Arrays.asList(byLength).subList(from, Math.min(total, from + batchSize));
      List<int[]> answers = generator.generate(rows.stream().map(encoded::get).toList(),
          ChatTemplate.answerEnd(template, tokenizer),
          Generator.Sampling.greedy(maxNewTokens));
      for (int i = 0; i < rows.size(); i++) {
        predicted[rows.get(i)] = tokenizer.decode(answers.get(i), true);
      }
      progress.answered(from + rows.size(), total);
    }
    List<String> predictedList = Arrays.asList(predicted);
    return new Answers(prompts, predictedList, references, ExactMatch.of(predictedList, references));
  }
}
