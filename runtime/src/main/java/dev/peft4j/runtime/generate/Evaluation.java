package dev.peft4j.runtime.generate;

import ai.djl.ndarray.NDManager;
import dev.peft4j.runtime.config.CoreSettings.DataFormat;
import dev.peft4j.runtime.data.ChatTemplate;
import dev.peft4j.runtime.data.Conversation;
import dev.peft4j.runtime.data.DataReader;
import dev.peft4j.runtime.data.ExactMatch;
import dev.peft4j.runtime.data.Sample;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Held-out exact match: the model answers each prompt greedily; an answer counts when it equals the reference. */
public final class Evaluation {

  private Evaluation() {}

  /** What the model answered, and the score. */
  public record Answers(List<String> prompts, List<String> predicted, List<String> references, ExactMatch score) {}

  public static Answers exactMatch(CausalLm model, Tokenizer tokenizer, NDManager manager, Path data,
      DataFormat format, int limit, int maxNewTokens) {
    ChatTemplate template = ChatTemplate.of(tokenizer);
    Generator generator = new Generator(model, manager);
    List<String> prompts = new ArrayList<>();
    List<String> predicted = new ArrayList<>();
    List<String> references = new ArrayList<>();
    for (Sample sample : DataReader.read(data, format, false).samples()) {
      if (!(sample instanceof Conversation conversation) || prompts.size() >= limit) {
        continue;
      }
      int[] answer = generator.generate(template.encodePrompt(conversation.prompt()), tokenizer.eosId(),
          Generator.Sampling.greedy(maxNewTokens));
      prompts.add(conversation.prompt().get(conversation.prompt().size() - 1).content());
      predicted.add(tokenizer.decode(answer, true));
      references.add(conversation.answer());
    }
    return new Answers(prompts, predicted, references, ExactMatch.of(predicted, references));
  }
}
