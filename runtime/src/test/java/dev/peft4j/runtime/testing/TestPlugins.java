package dev.peft4j.runtime.testing;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import com.typesafe.config.Config;
import dev.peft4j.api.MethodProvider;
import dev.peft4j.runtime.io.AtomicFolders;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.apiguardian.api.API;

/**
 * Builds plugin jars at test time, exactly as a third party would: sources compiled against the API
 * jar (and what its signatures use) only, a services file, a reference.conf.
 */
public final class TestPlugins {

  private TestPlugins() {}

  /** What the test plugin's provider does. */
  public enum Behaviour { WORKS, THROWS_ON_CREATE, THROWS_IN_METHODS }

  /**
   * Writes {@code <folder>/<jarName>} with one method {@code id} (a selector with one setting,
   * {@code scale}, default 1.5, and one rule: it cannot be combined with lora).
   *
   * @param apiVersion the Java expression the provider returns as its API version
   */
  public static Path methodJar(Path folder, String jarName, String id, String apiVersion, Behaviour behaviour)
      throws IOException {
    String pkg = "com.example." + id.replace('-', '_');
    String provider = """
        package %1$s;

        import dev.peft4j.api.*;
        import dev.peft4j.api.config.SettingsReader;
        import dev.peft4j.api.rules.Rule;
        import static dev.peft4j.api.rules.Condition.chosen;
        import java.util.List;
        import java.util.Set;

        public final class Provider implements MethodProvider {
          %4$s
          public Provider() {}
          @Override public String apiVersion() { return %2$s; }
          @Override public List<MethodFactory<?>> methods() {
            %5$s
            return List.of(new Factory());
          }

          public record Settings(double scale) {}

          static final class Factory implements MethodFactory<Settings> {
            @Override public MethodDescriptor descriptor() {
              return new MethodDescriptor("%3$s", Set.of(MethodKind.SELECTOR), "7.7.7", "A test method",
                  Set.of(), List.of(Rule.error("not-with-lora", "%3$s cannot be combined with lora",
                      chosen("%3$s"), chosen("lora"))));
            }
            @Override public Settings readSettings(SettingsReader r) { return new Settings(r.number("scale")); }
            @Override public PeftMethod create(Settings s, MethodContext c) {
              throw new UnsupportedFeatureException("test method");
            }
          }

          /** Proves the class loader hides the runtime: returns whether a runtime class is visible. */
          public static boolean seesRuntime() {
            try {
              Class.forName("dev.peft4j.runtime.Peft4j", false, Provider.class.getClassLoader());
              return true;
            } catch (ClassNotFoundException e) {
              return false;
            }
          }
        }
        """.formatted(pkg, apiVersion, id,
        behaviour == Behaviour.THROWS_ON_CREATE ? "static { if (true) throw new IllegalStateException(\"broken plugin\"); }" : "",
        behaviour == Behaviour.THROWS_IN_METHODS ? "if (true) throw new IllegalStateException(\"methods() failed\");" : "");
    String reference = "peft4j." + id + " {\n  # How much to scale.\n  scale = 1.5\n}\n";
    return jar(folder.resolve(jarName), pkg.replace('.', '/') + "/Provider.java", provider,
        pkg + ".Provider", reference);
  }

  /** Compiles one source file against the API classpath and packs it with a services file and a reference.conf. */
  public static Path jar(Path jarFile, String sourcePath, String source, String providerClass, String referenceConf)
      throws IOException {
    Path work = Files.createTempDirectory("peft4j-plugin-src");
    try {
      return jar(jarFile, work, sourcePath, source, providerClass, referenceConf);
    } finally {
      AtomicFolders.delete(work);
    }
  }

  private static Path jar(Path jarFile, Path work, String sourcePath, String source, String providerClass,
      String referenceConf) throws IOException {
    Path src = work.resolve("src").resolve(sourcePath);
    Path classes = work.resolve("classes");
    Files.createDirectories(src.getParent());
    Files.createDirectories(classes);
    Files.writeString(src, source);
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    StringWriter messages = new StringWriter();
    List<String> options = List.of("--release", "17", "-classpath", apiClasspath(), "-d", classes.toString());
    boolean ok = compiler.getTask(messages, null, null, options, null,
        compiler.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(src.toFile())).call();
    assertThat(ok).as("plugin compiles: %s", messages).isTrue();

    Files.createDirectories(jarFile.getParent());
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    try (OutputStream file = Files.newOutputStream(jarFile); JarOutputStream jar = new JarOutputStream(file, manifest)) {
      List<Path> classFiles;
      try (Stream<Path> walk = Files.walk(classes)) {
        classFiles = walk.filter(Files::isRegularFile).toList();
      }
      for (Path classFile : classFiles) {
        jar.putNextEntry(new JarEntry(classes.relativize(classFile).toString().replace('\\', '/')));
        jar.write(Files.readAllBytes(classFile));
        jar.closeEntry();
      }
      jar.putNextEntry(new JarEntry("META-INF/services/" + MethodProvider.class.getName()));
      jar.write((providerClass + "\n").getBytes(StandardCharsets.UTF_8));
      jar.closeEntry();
      jar.putNextEntry(new JarEntry("reference.conf"));
      jar.write(referenceConf.getBytes(StandardCharsets.UTF_8));
      jar.closeEntry();
    }
    return jarFile;
  }

  /** The API jar and the libraries its signatures use — nothing of the runtime. */
  static String apiClasspath() {
    List<String> entries = new ArrayList<>();
    for (Class<?> type : List.of(MethodProvider.class, NDArray.class, Config.class, API.class)) {
      try {
        entries.add(Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
      } catch (URISyntaxException e) {
        throw new IllegalStateException(e);
      }
    }
    return String.join(java.io.File.pathSeparator, entries);
  }
}
