package dev.peft4j.runtime.data;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A conversation to learn from: an optional system turn, then user and assistant turns in alternation,
 * starting with a user turn and ending with an assistant turn. The assistant turns are what the model learns.
 */
public record Conversation(List<Turn> turns) implements Sample {

  public Conversation {
    Objects.requireNonNull(turns, "turns is null");
    turns = List.copyOf(turns);
    Optional<String> problem = problem(turns, Role.ASSISTANT);
    if (problem.isPresent()) {
      throw new IllegalArgumentException(problem.get());
    }
  }

  public static Conversation of(Turn... turns) {
    return new Conversation(List.of(turns));
  }

  /** The system turn's text, if the conversation has one. */
  public Optional<String> system() {
    return turns.get(0).role() == Role.SYSTEM ? Optional.of(turns.get(0).content()) : Optional.empty();
  }

  /** Every turn but the last answer: what a model is given to produce {@link #answer()}. */
  public List<Turn> prompt() {
    return turns.subList(0, turns.size() - 1);
  }

  /** The last assistant turn's text. */
  public String answer() {
    return turns.get(turns.size() - 1).content();
  }

  /**
   * What is wrong with the order of {@code turns}, if anything: an optional system turn first, then user and
   * assistant in alternation from a user turn, the last turn of role {@code last} (assistant for a conversation to
   * learn, user for a prompt to answer).
   */
  public static Optional<String> problem(List<Turn> turns, Role last) {
    if (turns.isEmpty()) {
      return Optional.of("the conversation is empty");
    }
    int start = turns.get(0).role() == Role.SYSTEM ? 1 : 0;
    if (start == turns.size()) {
      return Optional.of("the conversation has only a system turn: add a user turn and an assistant answer");
    }
    for (int i = start; i < turns.size(); i++) {
      Role role = turns.get(i).role();
      Role expected = (i - start) % 2 == 0 ? Role.USER : Role.ASSISTANT;
      if (role == Role.SYSTEM) {
        return Optional.of("turn " + (i + 1) + " is a system turn: only the first turn may be one");
      }
      if (role != expected) {
        return Optional.of("turn " + (i + 1) + " is " + role.id() + " but " + expected.id() + " was expected: turns go "
            + "user, assistant, user, assistant… (after an optional system turn)");
      }
    }
    Role actualLast = turns.get(turns.size() - 1).role();
    if (actualLast != last) {
      return Optional.of(last == Role.ASSISTANT
          ? "the conversation ends with a user turn: it needs an assistant answer to learn from"
          : "the conversation ends with an assistant turn: a prompt to answer ends with a user turn");
    }
    return Optional.empty();
  }
}
