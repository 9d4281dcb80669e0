package dev.peft4j.runtime.data;

import dev.peft4j.runtime.config.CoreSettings.TemplateName;
import dev.peft4j.runtime.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One of LLaMA-Factory's named chat templates ({@code template: llama3} in its run files; {@code data.template} in
 * peft4j's), encoded as LLaMA-Factory 0.9.5 encodes it ({@code data/template.py} and the supervised processor of
 * {@code data/processor/supervised.py}):
 *
 * <ul>
 *   <li>Each message becomes a list of pieces: the template's slots with {@code {{content}}} (and, in a user slot,
 *       then {@code {{idx}}}, the exchange's index) replaced once; before the first message the prefix and, when
 *       there is a system text (the conversation's, else the template's default), the system slot. Mistral's and
 *       Gemma's templates put the system text inside the first user message instead.
 *   <li>A text piece is tokenized on its own; {@code {"bos_token"}} is the beginning-of-sequence id (when the
 *       tokenizer has one), {@code {"eos_token"}} the end-of-sequence id — which, for templates with
 *       {@code replace_eos}, is the template's first stop word ({@code <|eot_id|>} for llama3), as LLaMA-Factory
 *       sets it on the tokenizer.
 *   <li>Each user message is masked out of the loss, each assistant message learned. Cut to {@code cutoff_len},
 *       each exchange in turn gets what LLaMA-Factory's {@code infer_seqlen} gives it of the room left.
 * </ul>
 */
public final class NamedChatTemplate implements ChatTemplate {

  /** A slot of a formatter: text with placeholders, or a special token. */
  private sealed interface Slot permits Text, Special {}

  private record Text(String text) implements Slot {}

  private enum Special implements Slot { BOS, EOS }

  /**
   * A template as {@code register_template} declares it.
   *
   * @param fusesSystem the system text goes inside the first user message ({@code Llama2Template})
   */
  private record Definition(List<Slot> prefix, List<Slot> system, List<Slot> user, List<Slot> assistant,
      String defaultSystem, List<String> stopWords, boolean replaceEos, boolean fusesSystem) {}

  private static final Slot BOS = Special.BOS;
  private static final Slot EOS = Special.EOS;
  private static final String CONTENT = "{{content}}";

  private final TemplateName name;
  private final Definition definition;
  private final Tokenizer tokenizer;
  private final int eosId;

  /**
   * @throws IllegalArgumentException for {@link TemplateName#MODEL} (not a named template)
   * @throws ChatTemplateException when the template ends answers with a stop word the tokenizer has no single token
   *     for (the template is for another model family)
   */
  public NamedChatTemplate(TemplateName name, Tokenizer tokenizer) {
    this.name = Objects.requireNonNull(name, "name is null");
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer is null");
    this.definition = definition(name);
    if (definition.replaceEos()) {
      String stop = definition.stopWords().get(0);
      int[] ids = tokenizer.encode(stop);
      if (ids.length != 1 || !tokenizer.decode(ids, false).equals(stop)) {
        throw new ChatTemplateException("template " + displayName(name) + " ends each answer with " + stop
            + ", which the tokenizer of " + tokenizer.folder() + " has no token for: the template is for another "
            + "model family. Name the one of this model's family (data.template in a run file, --template for "
            + "generate and evaluate), or model for the model's own chat template");
      }
      this.eosId = ids[0];
    } else {
      this.eosId = tokenizer.eosId();
    }
  }

  /** The name as LLaMA-Factory writes it: {@code qwen3_nothink}. */
  public static String displayName(TemplateName name) {
    return name.name().toLowerCase(Locale.ROOT);
  }

  /** The end-of-sequence id the template closes answers with: the first stop word's for those with replace_eos. */
  public int eosId() {
    return eosId;
  }

  @Override
  public Example encode(Conversation conversation) {
    return encode(conversation, Integer.MAX_VALUE);
  }

  /** LLaMA-Factory's {@code _encode_data_example}: each exchange cut by {@code infer_seqlen} to the room left. */
  @Override
  public Example encode(Conversation conversation, int cutoffLen) {
    List<int[]> messages = ids(messages(conversation.turns()));
    Segments segments = new Segments();
    int total = 0;
    for (int i = 0; i + 1 < messages.size(); i += 2) {
      if (total >= cutoffLen) {
        break;
      }
      int[] source = messages.get(i);
      int[] target = messages.get(i + 1);
      int[] lengths = inferSeqlen(source.length, target.length, cutoffLen - total);
      segments.add(Arrays.copyOf(source, lengths[0]), false).add(Arrays.copyOf(target, lengths[1]), true);
      total += lengths[0] + lengths[1];
    }
    return segments.example();
  }

  @Override
  public int[] encodePrompt(List<Turn> turns) {
    Conversation.problem(turns, Role.USER).ifPresent(problem -> {
      throw new IllegalArgumentException(problem);
    });
    // encode_oneturn of the turns and an empty answer: every message but that answer
    List<Turn> withAnswer = new ArrayList<>(turns);
    withAnswer.add(Turn.assistant(""));
    List<int[]> messages = ids(messages(withAnswer));
    Segments segments = new Segments();
    for (int[] message : messages.subList(0, messages.size() - 1)) {
      segments.add(message, false);
    }
    return segments.ids();
  }

  /** The pieces' text; a user message's slot already ends with what starts an answer, whatever addGenerationPrompt. */
  @Override
  public String render(List<Turn> turns, boolean addGenerationPrompt) {
    StringBuilder text = new StringBuilder();
    for (List<Slot> message : messages(turns)) {
      for (Slot piece : message) {
        if (piece instanceof Text t) {
          text.append(t.text());
        } else if (piece == BOS) {
          tokenizer.bosToken().ifPresent(text::append);
        } else {
          text.append(tokenizer.decode(new int[] {eosId}, false));
        }
      }
    }
    return text.toString();
  }

  /** {@code Template._encode}'s elements, one list a message (the system turn goes into the first). */
  private List<List<Slot>> messages(List<Turn> turns) {
    String system = turns.get(0).role() == Role.SYSTEM ? turns.get(0).content() : "";
    if (system.isEmpty()) {
      system = definition.defaultSystem();
    }
    List<List<Slot>> messages = new ArrayList<>();
    int i = 0;
    for (Turn turn : turns) {
      if (turn.role() == Role.SYSTEM) {
        continue;
      }
      List<Slot> elements = new ArrayList<>();
      String systemText = "";
      if (i == 0) {
        elements.addAll(definition.prefix());
        if (!system.isEmpty()) {
          List<Slot> systemSlots = apply(definition.system(), system, null);
          if (definition.fusesSystem()) {
            systemText = ((Text) systemSlots.get(0)).text();
          } else {
            elements.addAll(systemSlots);
          }
        }
      }
      if (turn.role() == Role.USER) {
        elements.addAll(definition.fusesSystem() ? apply(definition.user(), systemText + turn.content(), null)
            : apply(definition.user(), turn.content(), String.valueOf(i / 2)));
      } else {
        elements.addAll(apply(definition.assistant(), turn.content(), null));
      }
      messages.add(elements);
      i++;
    }
    return messages;
  }

  /** {@code StringFormatter.apply}: in each text slot the first {{content}}, then the first {{idx}}, replaced. */
  private static List<Slot> apply(List<Slot> slots, String content, String idx) {
    List<Slot> elements = new ArrayList<>(slots.size());
    for (Slot slot : slots) {
      if (slot instanceof Text text) {
        String filled = replaceFirst(text.text(), CONTENT, content);
        elements.add(new Text(idx == null ? filled : replaceFirst(filled, "{{idx}}", idx)));
      } else {
        elements.add(slot);
      }
    }
    return elements;
  }

  private static String replaceFirst(String text, String placeholder, String value) {
    int at = text.indexOf(placeholder);
    return at < 0 ? text : text.substring(0, at) + value + text.substring(at + placeholder.length());
  }

  /** {@code _convert_elements_to_ids} of each message. */
  private List<int[]> ids(List<List<Slot>> messages) {
    List<int[]> ids = new ArrayList<>(messages.size());
    for (List<Slot> message : messages) {
      Segments segments = new Segments();
      for (Slot piece : message) {
        if (piece instanceof Text t) {
          segments.add(tokenizer.encode(t.text()), false);
        } else if (piece == BOS) {
          tokenizer.bosId().ifPresent(id -> segments.add(id, false));
        } else {
          segments.add(eosId, false);
        }
      }
      ids.add(segments.ids());
    }
    return ids;
  }

  /** LLaMA-Factory's {@code infer_seqlen}: the lengths of source and target kept within {@code cutoff}. */
  static int[] inferSeqlen(int sourceLength, int targetLength, int cutoff) {
    int maxTarget;
    if (targetLength * 2L < cutoff) {
      maxTarget = cutoff;
    } else if (sourceLength * 2L < cutoff) {
      maxTarget = cutoff - sourceLength;
    } else {
      maxTarget = (int) (cutoff * ((double) targetLength / (sourceLength + targetLength)));
    }
    int target = Math.min(maxTarget, targetLength);
    int source = Math.min(Math.max(cutoff - target, 0), sourceLength);
    return new int[] {source, target};
  }

  @Override
  public String toString() {
    return "LLaMA-Factory's template " + displayName(name);
  }

  private static Definition definition(TemplateName name) {
    return switch (name) {
      case LLAMA3 -> new Definition(List.of(BOS),
          text("<|start_header_id|>system<|end_header_id|>\n\n{{content}}<|eot_id|>"),
          text("<|start_header_id|>user<|end_header_id|>\n\n{{content}}<|eot_id|>"
              + "<|start_header_id|>assistant<|end_header_id|>\n\n"),
          text("{{content}}<|eot_id|>"), "", List.of("<|eot_id|>", "<|eom_id|>"), true, false);
      case QWEN, QWEN3_NOTHINK -> new Definition(List.of(), text("<|im_start|>system\n{{content}}<|im_end|>\n"),
          text("<|im_start|>user\n{{content}}<|im_end|>\n<|im_start|>assistant\n"), text("{{content}}<|im_end|>\n"),
          name == TemplateName.QWEN ? "You are Qwen, created by Alibaba Cloud. You are a helpful assistant." : "",
          List.of("<|im_end|>"), true, false);
      case MISTRAL -> new Definition(List.of(BOS), text("{{content}}\n\n"), text("[INST] {{content}}[/INST]"),
          List.of(new Text(" {{content}}"), EOS), "", List.of(), false, true);
      case GEMMA -> new Definition(List.of(BOS), text("{{content}}\n\n"),
          text("<start_of_turn>user\n{{content}}<end_of_turn>\n<start_of_turn>model\n"),
          text("{{content}}<end_of_turn>\n"), "", List.of("<end_of_turn>"), true, true);
      case PHI -> new Definition(List.of(), text("<|system|>\n{{content}}<|end|>\n"),
          text("<|user|>\n{{content}}<|end|>\n<|assistant|>\n"), text("{{content}}<|end|>\n"), "",
          List.of("<|end|>"), true, false);
      case ALPACA -> new Definition(List.of(), text("{{content}}"),
          text("### Instruction:\n{{content}}\n\n### Response:\n"),
          List.of(new Text("{{content}}"), EOS, new Text("\n\n")),
          "Below is an instruction that describes a task. Write a response that appropriately completes the "
              + "request.\n\n", List.of(), false, false);
      case DEFAULT -> new Definition(List.of(), List.of(new Text("System: {{content}}"), EOS, new Text("\n")),
          List.of(new Text("Human: {{content}}"), EOS, new Text("\nAssistant:")),
          List.of(new Text("{{content}}"), EOS, new Text("\n")), "", List.of(), false, false);
      case MODEL -> throw new IllegalArgumentException("data.template = model is the model's own chat template, "
          + "not a named one");
    };
  }

  private static List<Slot> text(String text) {
    return List.of(new Text(text));
  }
}
