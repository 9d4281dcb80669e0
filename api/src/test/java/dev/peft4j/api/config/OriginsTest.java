package dev.peft4j.api.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OriginsTest {

  /** A resource name no jar on the test class path holds. */
  private static final String RESOURCE = "peft4j-origins-test/reference.conf";

  @TempDir Path dir;

  @Test
  void anUnknownOriginSaysSo() {
    assertThat(Origins.describe(null)).isEqualTo("unknown origin");
  }

  @Test
  void aFileOriginIsTheFileAndTheLine() throws IOException {
    Path file = dir.resolve("run.conf");
    Files.writeString(file, "# comment\n\npeft4j.lora.rank = 4\n");

    Config config = ConfigFactory.parseFile(file.toFile());

    assertThat(Origins.describe(config.getValue("peft4j.lora.rank").origin())).isEqualTo(file + ":3");
  }

  @Test
  void aOneLineOverrideNeedsNoLineNumber() {
    Config config = ConfigFactory.parseString("peft4j.lora.rank = 4",
        ConfigParseOptions.defaults().setOriginDescription("--set peft4j.lora.rank=4"));

    assertThat(Origins.describe(config.getValue("peft4j.lora.rank").origin())).isEqualTo("--set peft4j.lora.rank=4");
  }

  @Test
  void aReferenceConfInsideAJarIsTheDefault() throws IOException {
    Path jar = dir.resolve("plugin.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      out.putNextEntry(new JarEntry(RESOURCE));
      out.write("peft4j.lora.rank = 8\n".getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
    }
    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
      Config config = ConfigFactory.parseResources(loader, RESOURCE);

      assertThat(Origins.describe(config.getValue("peft4j.lora.rank").origin())).isEqualTo(Origins.DEFAULT);
    }
  }

  @Test
  void aReferenceConfInAClassDirectoryIsTheDefault() throws IOException {
    Path classes = dir.resolve("classes");
    Files.createDirectories(classes.resolve(RESOURCE).getParent());
    Files.writeString(classes.resolve(RESOURCE), "peft4j.lora.rank = 8\n");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, null)) {
      Config config = ConfigFactory.parseResources(loader, RESOURCE);

      assertThat(Origins.describe(config.getValue("peft4j.lora.rank").origin())).isEqualTo(Origins.DEFAULT);
    }
  }
}
