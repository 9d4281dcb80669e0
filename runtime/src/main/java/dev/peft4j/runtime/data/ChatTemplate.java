package dev.peft4j.runtime.data;

import dev.peft4j.runtime.config.CoreSettings.TemplateName;
import dev.peft4j.runtime.tokenizer.Tokenizer;
import java.util.List;

/**
 * Turns conversations into tokens, with the loss on the assistant answers only.
 *
 * <p>The tokenizer's Jinja {@code chat_template} is used when it has one ({@link JinjaChatTemplate}); otherwise
 * peft4j's {@linkplain DefaultChatTemplate default template}. Either way the prompt pieces and the answers are encoded
 * separately and their ids concatenated, so that the boundary between what is masked out of the loss
 * ({@link Example#IGNORE}) and what is learned falls exactly between two tokens; a prompt to generate from is encoded
 * in the same pieces, so that the model sees at inference the very ids it was trained on.
 */
public sealed interface ChatTemplate permits DefaultChatTemplate, JinjaChatTemplate, NamedChatTemplate {

  /** The tokenizer's own chat template if it has one, else the default template. */
  static ChatTemplate of(Tokenizer tokenizer) {
    return tokenizer.chatTemplate().<ChatTemplate>map(template -> new JinjaChatTemplate(tokenizer, template))
        .orElseGet(() -> new DefaultChatTemplate(tokenizer));
  }

  /**
   * The template {@code name} ({@link NamedChatTemplate}), or for {@link TemplateName#MODEL} the tokenizer's own.
   *
   * @throws ChatTemplateException when the named template is for another model family than the tokenizer's
   */
  static ChatTemplate of(Tokenizer tokenizer, TemplateName name) {
    return name == TemplateName.MODEL ? of(tokenizer) : new NamedChatTemplate(name, tokenizer);
  }

  /** The token an answer ends with, where generation stops: a named template's own, else the tokenizer's. */
  static int answerEnd(ChatTemplate template, Tokenizer tokenizer) {
    return template instanceof NamedChatTemplate named ? named.eosId() : tokenizer.eosId();
  }

  /**
   * The tokens of a conversation, labels on its assistant answers (and the end-of-turn tokens that close them)
   * and {@link Example#IGNORE} everywhere else.
   *
   * @throws ChatTemplateException when the template refuses the conversation or its renderings are not prefixes of
   *     one another (then prompt and answer cannot be told apart)
   */
  Example encode(Conversation conversation);

  /** The tokens of a conversation cut to {@code cutoffLen}: its start, unless the template cuts otherwise. */
  default Example encode(Conversation conversation, int cutoffLen) {
    return encode(conversation).truncate(cutoffLen);
  }

  /**
   * The ids to generate an answer from: {@code turns} (which end with a user turn) and what the template puts before
   * an answer, in the same pieces as {@link #encode} makes them.
   *
   * @throws IllegalArgumentException when the turns are out of order or do not end with a user turn
   */
  int[] encodePrompt(List<Turn> turns);

  /** The text of {@code turns}, with the start of an answer after them if {@code addGenerationPrompt}; for reading. */
  String render(List<Turn> turns, boolean addGenerationPrompt);
}
