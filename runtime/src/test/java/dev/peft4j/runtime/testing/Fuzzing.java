package dev.peft4j.runtime.testing;

import dev.peft4j.api.Peft4jException;
import dev.peft4j.runtime.io.AtomicFolders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What every fuzz target asks of a parser: whatever the input, it either works or throws a {@link Peft4jException}
 * whose message a person can read (what the CLI prints as {@code error: ...}). Anything else escaping (a
 * RuntimeException, a StackOverflowError, an OutOfMemoryError) is what the CLI would print as "internal error" or
 * as a raw stack trace: the fuzzer reports it as a finding.
 */
public final class Fuzzing {

  /** A body that may throw anything. */
  @FunctionalInterface
  public interface Body {
    void run() throws Exception;
  }

  private Fuzzing() {}

  public static void expectWorksOrUserError(Body body) {
    try {
      body.run();
    } catch (Peft4jException e) {
      requireUserMessage(e.getMessage());
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Exception e) {
      throw new AssertionError("a checked exception escaped: " + e, e);
    }
  }

  /**
   * A message says what is wrong: it is not empty and is not itself an "internal error". (Its text may quote the
   * input, which the fuzzer fills with whatever it likes, so nothing else in it can be held against it: that a
   * {@link Peft4jException} carries it is what makes the CLI print {@code error: ...} and no stack trace.)
   */
  public static void requireUserMessage(String message) {
    if (message == null || message.isBlank() || message.startsWith("internal error")) {
      throw new AssertionError("not a message for a user: " + message);
    }
  }

  /** A fresh folder for the fuzz target's files, made once per JVM and deleted, with what is in it, when the JVM exits. */
  public static Path folder(String name) {
    try {
      Path folder = Files.createTempDirectory("peft4j-fuzz-" + name);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> AtomicFolders.delete(folder)));
      return folder;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void write(Path file, byte[] bytes) {
    try {
      Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
