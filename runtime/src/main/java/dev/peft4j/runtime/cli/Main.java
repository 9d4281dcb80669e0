package dev.peft4j.runtime.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine;

/** The {@code peft4j} command. */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line on the standard streams and returns its exit code. */
  public static int run(String... args) {
    return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
  }

  /** Runs the command line, printing to {@code out} and {@code err}, and returns its exit code. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    configureLogging(Arrays.asList(args).contains("-v") || Arrays.asList(args).contains("--verbose"));
    CommandLine commandLine = Peft4jCommand.commandLine();
    commandLine.setOut(out);
    commandLine.setErr(err);
    try {
      return commandLine.execute(args);
    } catch (StackOverflowError e) {
      // The parsers of HOCON and JSON recurse; an input nested thousands deep that no reader caught ends here.
      err.println("error: the input is nested too deeply to read (ran out of stack): a run file, config.json or "
          + "adapter_config.json nests a few levels; look for a runaway [ or { in the files the command reads");
      err.flush();
      return 1;
    }
  }

  /** SLF4J's simple logger reads its settings once, at its first use: set them before anything logs. */
  private static void configureLogging(boolean verbose) {
    setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn");
    setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
    setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
    setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
    setIfAbsent("org.slf4j.simpleLogger.levelInBrackets", "true");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
