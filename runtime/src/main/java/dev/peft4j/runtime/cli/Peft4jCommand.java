package dev.peft4j.runtime.cli;

import dev.peft4j.api.ApiVersion;
import dev.peft4j.api.Peft4jException;
import dev.peft4j.runtime.Peft4j;
import java.io.File;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The top command: global options, and the sub-commands that do the work. */
@Command(
    name = "peft4j",
    mixinStandardHelpOptions = true,
    versionProvider = Peft4jCommand.Version.class,
    description = "Parameter-efficient fine-tuning of language models on the JVM; every method is a plugin.",
    subcommands = {MethodsCommand.class, ValidateCommand.class, PlanCommand.class, TrainCommand.class, ConvertCommand.class,
        InitModelCommand.class,
        GenerateCommand.class, EvaluateCommand.class, MergeCommand.class, CommandLine.HelpCommand.class},
    footer = {"", "Run `peft4j COMMAND --help` for the options of a command. Plugin folders also come from the "
        + "PEFT4J_PLUGINS environment variable (folders separated by ':', ';' on Windows) and a run file's plugin-dirs."})
public final class Peft4jCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--plugins", paramLabel = "DIR", scope = ScopeType.INHERIT,
      description = "A folder of plugin jars (repeatable).")
  List<Path> pluginFolders = new ArrayList<>();

  @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
      description = "Log what happens (plugins found, with id, version and jar) and show stack traces of errors.")
  boolean verbose;

  static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new Peft4jCommand());
    commandLine.setExecutionExceptionHandler((e, cl, parsed) -> {
      PrintWriter err = cl.getErr();
      Peft4jCommand root = cl.getCommandSpec().root().userObject() instanceof Peft4jCommand c ? c : null;
      if (e instanceof Peft4jException) {
        err.println("error: " + e.getMessage());
      } else {
        err.println("internal error: " + e + System.lineSeparator()
            + "This is a bug in peft4j or a plugin; run again with --verbose for the stack trace and report it.");
      }
      if (root != null && root.verbose) {
        e.printStackTrace(err);
      }
      err.flush();
      return 1;
    });
    return commandLine;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Builds the runtime with the plugin folders from the options, the environment and the run file. */
  Peft4j runtime(Optional<Path> runFile) {
    List<Path> folders = new ArrayList<>(pluginFolders);
    String env = System.getenv("PEFT4J_PLUGINS");
    if (env != null && !env.isBlank()) {
      for (String folder : env.split(File.pathSeparator)) {
        if (!folder.isBlank()) {
          folders.add(Path.of(folder));
        }
      }
    }
    runFile.ifPresent(file -> folders.addAll(Peft4j.pluginFoldersOf(file)));
    return Peft4j.builder().pluginFolders(folders).build();
  }

  /** Whether standard output is a terminal (a redrawn progress bar) rather than a log or a pipe. */
  static boolean onTerminal() {
    return System.console() != null;
  }

  /** {@code peft4j --version}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Peft4j.class.getPackage().getImplementationVersion();
      return new String[] {
          "peft4j " + (version == null ? "dev" : version) + " (API " + ApiVersion.CURRENT + ")",
          "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
    }
  }
}
