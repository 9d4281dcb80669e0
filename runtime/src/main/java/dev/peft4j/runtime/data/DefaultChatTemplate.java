package dev.peft4j.runtime.data;

import dev.peft4j.runtime.tokenizer.Tokenizer;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * peft4j's chat template for tokenizers without one (an Alpaca-style prompt):
 *
 * <pre>
 * &lt;s&gt;{system}
 *
 * ### Instruction:
 * {user}
 *
 * ### Response:
 * {assistant}&lt;/s&gt;
 *
 * ### Instruction:
 * {user 2}
 *
 * ### Response:
 * {assistant 2}&lt;/s&gt;
 * </pre>
 *
 * <p>That is: the beginning-of-sequence token if the tokenizer adds one ({@link Tokenizer#addBosToken()}); the
 * system text and a blank line if there is a system turn; then for each exchange {@code "### Instruction:\n"}, the
 * user's text, {@code "\n\n### Response:\n"}, the answer and the end-of-sequence token, exchanges separated by a
 * blank line. Only {@code {assistant}</s>} is learned; everything else is masked out of the loss. A prompt to
 * generate from ends with {@code "### Response:\n"}.
 */
public final class DefaultChatTemplate implements ChatTemplate {

  static final String INSTRUCTION = "### Instruction:\n";
  static final String RESPONSE = "\n\n### Response:\n";
  static final String SEPARATOR = "\n\n";

  private final Tokenizer tokenizer;

  public DefaultChatTemplate(Tokenizer tokenizer) {
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer is null");
  }

  @Override
  public Example encode(Conversation conversation) {
    return segments(conversation.turns()).example();
  }

  @Override
  public int[] encodePrompt(List<Turn> turns) {
    Conversation.problem(turns, Role.USER).ifPresent(problem -> {
      throw new IllegalArgumentException(problem);
    });
    return segments(turns).ids();
  }

  @Override
  public String render(List<Turn> turns, boolean addGenerationPrompt) {
    StringBuilder text = new StringBuilder();
    if (tokenizer.addBosToken()) {
      text.append(tokenizer.bosToken().orElseThrow());
    }
    int exchange = 0;
    for (Turn turn : turns) {
      switch (turn.role()) {
        case SYSTEM -> text.append(turn.content()).append(SEPARATOR);
        case USER -> text.append(exchange++ > 0 ? SEPARATOR : "").append(INSTRUCTION).append(turn.content()).append(RESPONSE);
        case ASSISTANT -> text.append(turn.content()).append(tokenizer.eosToken());
      }
    }
    if (!addGenerationPrompt && !turns.isEmpty() && turns.get(turns.size() - 1).role() == Role.USER) {
      text.setLength(text.length() - RESPONSE.length());
    }
    return text.toString();
  }

  /** Prompt pieces masked, answers and their end-of-sequence id learned. */
  private Segments segments(List<Turn> turns) {
    Segments segments = new Segments();
    if (tokenizer.addBosToken()) {
      segments.add(tokenizer.bosId().getAsInt(), false);
    }
    Optional<String> system = turns.get(0).role() == Role.SYSTEM ? Optional.of(turns.get(0).content()) : Optional.empty();
    boolean first = true;
    for (Turn turn : turns) {
      if (turn.role() == Role.USER) {
        String before = first ? system.map(s -> s + SEPARATOR).orElse("") : SEPARATOR;
        segments.add(tokenizer.encode(before + INSTRUCTION + turn.content() + RESPONSE), false);
        first = false;
      } else if (turn.role() == Role.ASSISTANT) {
        segments.add(tokenizer.encode(turn.content()), true).add(tokenizer.eosId(), true);
      }
    }
    return segments;
  }
}
