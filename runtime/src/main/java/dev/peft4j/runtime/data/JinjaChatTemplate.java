package dev.peft4j.runtime.data;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
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
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELResolver;

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
    // Jinjava's slices take no step: Python's reversing slice (Qwen3's messages[::-1]) becomes Jinja's reverse filter.
    // Jinjava reads namespace(a=x - 1) as (a=x) - 1: each argument's value is parenthesised.
    this.template = parenthesiseNamespaceArguments(
        Objects.requireNonNull(template, "template is null").replace("[::-1]", "|reverse"));
    this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
        .withTrimBlocks(true)
        .withLstripBlocks(true)
        .withNestedInterpretationEnabled(false)
        .withLegacyOverrides(JINJA2)
        .withElResolver(pythonResolver())
        .build());
    try {
      jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
          JinjaChatTemplate.class.getMethod("raiseException", String.class)));
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Jinjava's options that make it evaluate as Jinja2 does (operator precedence, whitespace control, escapes). */
  private static final LegacyOverrides JINJA2 = LegacyOverrides.newBuilder()
      .withEvaluateMapKeys(true)
      .withIterateOverMapKeys(true)
      .withUsePyishObjectMapper(true)
      .withUseNaturalOperatorPrecedence(true)
      .withParseWhitespaceControlStrictly(true)
      .withAllowAdjacentTextNodes(true)
      .withUseTrimmingForNotesAndExpressions(true)
      .withKeepNullableLoopValues(true)
      .withHandleBackslashInQuotesOnly(true)
      .withDefaultKeepTrailingNewlineBehavior(true)
      .build();

  /** {@code namespace(a=x - 1, b=y)} as {@code namespace(a=(x - 1), b=(y))}; nothing else changes. */
  static String parenthesiseNamespaceArguments(String template) {
    StringBuilder out = new StringBuilder();
    int from = 0;
    for (int at = template.indexOf("namespace("); at >= 0; at = template.indexOf("namespace(", from)) {
      int i = at + "namespace(".length();
      out.append(template, from, i);
      int depth = 0;
      boolean inValue = false;
      char quote = 0;
      for (; i < template.length(); i++) {
        char c = template.charAt(i);
        if (quote != 0) {
          quote = c == quote && template.charAt(i - 1) != '\\' ? 0 : quote;
        } else if (c == '\'' || c == '"') {
          quote = c;
        } else if (c == '(' || c == '[' || c == '{') {
          depth++;
        } else if (depth > 0 && (c == ')' || c == ']' || c == '}')) {
          depth--;
        } else if (depth == 0 && (c == ',' || c == ')')) {
          if (inValue) {
            out.append(')');
            inValue = false;
          }
          if (c == ')') {
            break;
          }
        } else if (depth == 0 && c == '=' && !inValue) {
          out.append("=(");
          inValue = true;
          continue;
        }
        out.append(c);
      }
      from = i;
    }
    return out.append(template.substring(from)).toString();
  }

  /** Python's string and dict methods first, then Jinjava's resolver. */
  private static ELResolver pythonResolver() {
    CompositeELResolver resolver = new CompositeELResolver();
    resolver.add(new PythonMethods());
    resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
    return resolver;
  }

  /** {@code raise_exception(message)} of transformers' chat templates. */
  public static String raiseException(String message) {
    throw new TemplateRefusal(message);
  }

  @Override
  public Example encode(Conversation conversation) {
    Segments segments = new Segments();
    String whole = render(conversation.turns(), false);
    int done = addExchanges(conversation.turns(), whole, segments);
    if (done < whole.length()) {
      segments.add(tokenizer.encode(whole.substring(done)), false);
    }
    return segments.example();
  }

  @Override
  public int[] encodePrompt(List<Turn> turns) {
    Conversation.problem(turns, Role.USER).ifPresent(problem -> {
      throw new IllegalArgumentException(problem);
    });
    Segments segments = new Segments();
    String whole = render(turns, true);
    int done = addExchanges(turns, whole, segments);
    segments.add(tokenizer.encode(whole.substring(done)), false);
    return segments.ids();
  }

  /**
   * Adds each prompt piece (masked) and each answer (learned) of {@code whole}, the rendering of {@code turns}: the
   * prompt of assistant turn {@code i} ends where the rendering of the turns before it with the generation prompt
   * ends, and its answer ends where {@code whole} and the rendering of the turns up to it part. Returns how much of
   * {@code whole} the pieces cover.
   */
  private int addExchanges(List<Turn> turns, String whole, Segments segments) {
    int done = 0;
    for (int i = 0; i < turns.size(); i++) {
      if (turns.get(i).role() != Role.ASSISTANT) {
        continue;
      }
      String prompt = render(turns.subList(0, i), true);
      if (!whole.startsWith(prompt) || prompt.length() < done) {
        throw cannotTellApart(i, "the prompt of");
      }
      String upToAnswer = render(turns.subList(0, i + 1), false);
      int end = prompt.length();
      while (end < whole.length() && end < upToAnswer.length() && whole.charAt(end) == upToAnswer.charAt(end)) {
        end++;
      }
      // Phi-3 closes a conversation with eos, which the whole conversation writes only at its end: the answer ends
      // before it, not within it where the next turn's text happens to start the same ("<" of "</s>" and "<|user|>").
      String eos = tokenizer.eosToken();
      if (end < upToAnswer.length() && upToAnswer.endsWith(eos) && end > upToAnswer.length() - eos.length()) {
        end = upToAnswer.length() - eos.length();
      }
      if (!upToAnswer.startsWith(prompt) || !whole.substring(prompt.length(), end).contains(turns.get(i).content().strip())) {
        throw cannotTellApart(i, "the answer of");
      }
      segments.add(tokenizer.encode(whole.substring(done, prompt.length())), false);
      segments.add(tokenizer.encode(whole.substring(prompt.length(), end)), true);
      done = end;
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

  private ChatTemplateException cannotTellApart(int turn, String what) {
    return new ChatTemplateException(where() + " renders turn " + (turn + 1) + " differently in the whole "
        + "conversation than in the conversation up to it, so " + what + " turn " + (turn + 1) + " cannot be told "
        + "apart (Qwen3's template, for one, drops the reasoning of answers before the last question): train on "
        + "conversations with one answer, or remove chat_template to use peft4j's default template");
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
