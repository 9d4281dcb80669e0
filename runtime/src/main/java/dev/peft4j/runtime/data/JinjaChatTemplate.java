package dev.peft4j.runtime.data;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.peft4j.runtime.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A tokenizer's Jinja {@code chat_template}, rendered with Jinjava the way transformers' {@code apply_chat_template}
 * renders it with Jinja2: {@code trim_blocks} and {@code lstrip_blocks} on; the variables {@code messages} (a list of
 * {@code {"role": "system" | "user" | "assistant", "content": ...}}), {@code add_generation_prompt}, {@code bos_token}
 * and {@code eos_token}; the function {@code raise_exception(message)}.
 *
 * <p>Where the answers are: for each assistant turn {@code i}, the conversation up to turn {@code i} is rendered with
 * the generation prompt (the prompt {@code P}) and with turn {@code i} (the text {@code F}). What {@code P} adds to the
 * previous {@code F} is masked; what {@code F} adds to {@code P} — the answer and whatever the template closes it with,
 * such as {@code <|im_end|>} or {@code </s>} — is learned. This needs each rendering to start with the previous one,
 * which holds for the common chat templates (Mistral's, Qwen2's, Zephyr's and other ChatML-style ones); a
 * template that rewrites earlier turns (one that drops the reasoning of earlier answers, say) is refused with a
 * {@link ChatTemplateException}.
 *
 * <p>Jinjava is not Jinja2: Python string methods other than those Java strings share ({@code strip()},
 * {@code startsWith} is not {@code startswith}) are unknown, so a template that relies on them fails with a message
 * naming the template's error; filters ({@code | trim}) work.
 */
public final class JinjaChatTemplate implements ChatTemplate {

  private final Tokenizer tokenizer;
  private final String template;
  private final Jinjava jinjava;

  public JinjaChatTemplate(Tokenizer tokenizer, String template) {
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer is null");
    this.template = Objects.requireNonNull(template, "template is null");
    this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
        .withTrimBlocks(true)
        .withLstripBlocks(true)
        .withNestedInterpretationEnabled(false)
        .build());
    try {
      jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
          JinjaChatTemplate.class.getMethod("raiseException", String.class)));
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code raise_exception(message)} of transformers' chat templates. */
  public static String raiseException(String message) {
    throw new TemplateRefusal(message);
  }

  @Override
  public Example encode(Conversation conversation) {
    Segments segments = new Segments();
    addExchanges(conversation.turns(), segments);
    return segments.example();
  }

  @Override
  public int[] encodePrompt(List<Turn> turns) {
    Conversation.problem(turns, Role.USER).ifPresent(problem -> {
      throw new IllegalArgumentException(problem);
    });
    Segments segments = new Segments();
    String done = addExchanges(turns, segments);
    segments.add(tokenizer.encode(after(done, render(turns, true), turns.size() - 1, "the prompt of")), false);
    return segments.ids();
  }

  /** Adds each prompt piece (masked) and each answer (learned); returns the rendering of the turns up to the last answer. */
  private String addExchanges(List<Turn> turns, Segments segments) {
    String done = "";
    for (int i = 0; i < turns.size(); i++) {
      if (turns.get(i).role() != Role.ASSISTANT) {
        continue;
      }
      String prompt = render(turns.subList(0, i), true);
      String full = render(turns.subList(0, i + 1), false);
      segments.add(tokenizer.encode(after(done, prompt, i, "the prompt of")), false);
      segments.add(tokenizer.encode(after(prompt, full, i, "the answer of")), true);
      done = full;
    }
    return done;
  }

  @Override
  public String render(List<Turn> turns, boolean addGenerationPrompt) {
    List<Map<String, Object>> messages = new ArrayList<>();
    for (Turn turn : turns) {
      Map<String, Object> message = new LinkedHashMap<>();
      message.put("role", turn.role().id());
      message.put("content", turn.content());
      messages.add(message);
    }
    Map<String, Object> context = new HashMap<>();
    context.put("messages", messages);
    context.put("add_generation_prompt", addGenerationPrompt);
    tokenizer.bosToken().ifPresent(bos -> context.put("bos_token", bos));
    context.put("eos_token", tokenizer.eosToken());
    RenderResult result;
    try {
      result = jinjava.renderForResult(template, context);
    } catch (TemplateRefusal e) {
      throw refused(e.getMessage());
    } catch (RuntimeException e) {
      throw new ChatTemplateException(where() + " cannot be rendered: " + e.getMessage(), e);
    }
    List<TemplateError> fatal = result.getErrors().stream()
        .filter(error -> error.getSeverity() == TemplateError.ErrorType.FATAL).toList();
    if (!fatal.isEmpty()) {
      for (TemplateError error : fatal) {
        for (Throwable cause = error.getException(); cause != null; cause = cause.getCause()) {
          if (cause instanceof TemplateRefusal refusal) {
            throw refused(refusal.getMessage());
          }
        }
      }
      throw new ChatTemplateException(where() + " cannot be rendered: " + fatal.stream()
          .map(error -> "line " + error.getLineno() + ": " + error.getMessage()).collect(Collectors.joining("; "))
          + ". peft4j renders chat templates with Jinjava, which lacks some of Jinja2's Python methods: fix the template, "
          + "or remove chat_template to use peft4j's default template");
    }
    return result.getOutput();
  }

  private String after(String before, String text, int turn, String what) {
    if (!text.startsWith(before)) {
      throw new ChatTemplateException(where() + " renders the conversation up to turn " + (turn + 1)
          + " so that it does not start with its rendering of the turns before, so " + what + " turn " + (turn + 1)
          + " cannot be told apart: peft4j needs a template that renders earlier turns the same whatever follows. Fix "
          + "the template, or remove chat_template to use peft4j's default template");
    }
    return text.substring(before.length());
  }

  private ChatTemplateException refused(String message) {
    return new ChatTemplateException(where() + " refuses the conversation: " + message);
  }

  private String where() {
    return "the chat template of " + tokenizer.folder();
  }

  /** Thrown by {@code raise_exception}; carries the template's message out of Jinjava. */
  private static final class TemplateRefusal extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TemplateRefusal(String message) {
      super(message, null, false, false);
    }
  }
}
