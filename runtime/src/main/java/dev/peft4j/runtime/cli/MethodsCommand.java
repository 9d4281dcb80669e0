package dev.peft4j.runtime.cli;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import dev.peft4j.api.ApiVersion;
import dev.peft4j.api.MethodCapability;
import dev.peft4j.api.MethodDescriptor;
import dev.peft4j.api.MethodKind;
import dev.peft4j.api.rules.Rule;
import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.plugin.DiscoveredMethod;
import dev.peft4j.runtime.plugin.Discovery;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code peft4j methods}: every method found, with its settings, defaults and rules. */
@Command(name = "methods", mixinStandardHelpOptions = true,
    description = "List the methods found (built in and plugins): id, kind, version, jar, settings with defaults, rules.")
final class MethodsCommand implements Runnable {

  @CommandLine.ParentCommand
  Peft4jCommand parent;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    Peft4j peft4j = parent.runtime(Optional.empty());
    Discovery discovery = peft4j.discovery();
    PrintWriter out = spec.commandLine().getOut();
    out.println(peft4j.methods().size() + " methods (peft4j API " + ApiVersion.CURRENT + ")");
    discovery.methods().values().stream()
        .sorted(Comparator.comparing((DiscoveredMethod m) -> !m.builtIn()).thenComparing(DiscoveredMethod::id))
        .forEach(method -> print(out, method, discovery));
    if (!discovery.refused().isEmpty()) {
      out.println();
      out.println("Refused plugins:");
      discovery.refused().forEach(reason -> out.println("  - " + reason));
    }
    out.flush();
  }

  /** A jar by its name; a classes folder of a build (tests, an IDE) by its module: method-lora/target/classes. */
  private static String builtInName(Path source) {
    Path target = source.getParent();
    if (target != null && target.getParent() != null && target.getFileName().toString().equals("target")) {
      return target.getParent().getFileName() + "/target/" + source.getFileName();
    }
    return String.valueOf(source.getFileName());
  }

  private static void print(PrintWriter out, DiscoveredMethod method, Discovery discovery) {
    MethodDescriptor d = method.descriptor();
    out.println();
    out.println(d.id() + " " + d.version() + " — " + String.join(", ", d.kinds().stream()
        .sorted().map(MethodKind::displayName).toList()));
    out.println("  " + d.description());
    // Built-in jars by name (their folder is the installation's); plugin jars by full path.
    out.println("  jar: " + (method.builtIn() ? builtInName(Path.of(method.source())) + " (classpath)"
        : method.source() + " (plugin folder)"));
    if (!d.capabilities().isEmpty()) {
      out.println("  capabilities: " + String.join(", ", d.capabilities().stream().sorted()
          .map(MethodCapability::displayName).toList()));
    }
    ConfigObject settings = discovery.reference().getObject(d.configPath());
    if (settings.isEmpty()) {
      out.println("  settings: none");
    } else {
      out.println("  settings (" + d.configPath() + "):");
      List<Map.Entry<String, ConfigValue>> entries = settings.entrySet().stream()
          .sorted(Comparator.comparingInt(e -> e.getValue().origin().lineNumber())).toList();
      for (Map.Entry<String, ConfigValue> entry : entries) {
        out.println("    " + entry.getKey() + " = " + Values.render(entry.getValue()));
        String help = String.join(" ", entry.getValue().origin().comments()).trim();
        if (!help.isEmpty()) {
          out.println("        " + help);
        }
      }
    }
    if (!d.rules().isEmpty()) {
      out.println("  rules:");
      for (Rule rule : d.rules()) {
        out.println("    " + rule.severity().name().toLowerCase(java.util.Locale.ROOT) + " " + rule.name()
            + ": when " + rule.describeConditions());
        out.println("        " + rule.message());
      }
    }
  }
}
