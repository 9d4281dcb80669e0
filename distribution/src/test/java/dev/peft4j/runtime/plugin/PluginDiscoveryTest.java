package dev.peft4j.runtime.plugin;

import static dev.peft4j.runtime.testing.TestPlugins.Behaviour.THROWS_IN_METHODS;
import static dev.peft4j.runtime.testing.TestPlugins.Behaviour.THROWS_ON_CREATE;
import static dev.peft4j.runtime.testing.TestPlugins.Behaviour.WORKS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peft4j.api.ApiVersion;
import dev.peft4j.api.PluginException;
import dev.peft4j.runtime.Peft4j;
import dev.peft4j.runtime.testing.TestPlugins;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginDiscoveryTest {

  private static final String CURRENT = "ApiVersion.CURRENT";
  private static final List<String> BUILT_IN = List.of("lora", "galore", "badam", "freeze", "full");

  @TempDir
  Path plugins;

  private Discovery discover(Path... folders) {
    return PluginDiscovery.discover(getClass().getClassLoader(), List.of(folders));
  }

  @Test
  void findsTheBuiltInMethodsOnTheClasspath() {
    Discovery discovery = discover();

    assertThat(discovery.methods()).containsKeys(BUILT_IN.toArray(String[]::new));
    assertThat(discovery.methods().get("lora").builtIn()).isTrue();
    assertThat(discovery.methods().get("lora").source()).contains("method-lora");
    assertThat(discovery.refused()).isEmpty();
    assertThat(discovery.conflicts()).isEmpty();
  }

  @Test
  void findsAPluginJarInAFolderWithItsDefaults() throws Exception {
    Path jar = TestPlugins.methodJar(plugins, "echo.jar", "echo", CURRENT, WORKS);

    Discovery discovery = discover(plugins);

    DiscoveredMethod echo = discovery.methods().get("echo");
    assertThat(echo).isNotNull();
    assertThat(echo.builtIn()).isFalse();
    assertThat(echo.source()).isEqualTo(jar.toString());
    assertThat(echo.descriptor().version()).isEqualTo("7.7.7");
    assertThat(discovery.reference().getDouble("peft4j.echo.scale")).isEqualTo(1.5);
    assertThat(discovery.methods()).containsKeys(BUILT_IN.toArray(String[]::new));
  }

  @Test
  void findsAPluginMadeOfAFolderOfJars() throws Exception {
    TestPlugins.methodJar(plugins.resolve("echo-plugin"), "echo.jar", "echo", CURRENT, WORKS);

    assertThat(discover(plugins).methods()).containsKey("echo");
  }

  @Test
  void aPluginSeesTheApiButNotTheRuntime() throws Exception {
    TestPlugins.methodJar(plugins, "echo.jar", "echo", CURRENT, WORKS);

    Object factory = discover(plugins).methods().get("echo").factory();
    Class<?> provider = factory.getClass().getEnclosingClass();
    boolean seesRuntime = (boolean) provider.getMethod("seesRuntime").invoke(null);

    assertThat(seesRuntime).isFalse();
    assertThat(provider.getClassLoader()).isInstanceOf(PluginClassLoader.class);
    assertThat(provider.getClassLoader().loadClass("dev.peft4j.api.MethodProvider"))
        .isSameAs(dev.peft4j.api.MethodProvider.class);
  }

  @Test
  void aMethodIdInTwoJarsIsAConflictNamingBoth() throws Exception {
    Path first = TestPlugins.methodJar(plugins, "a-echo.jar", "echo", CURRENT, WORKS);
    Path second = TestPlugins.methodJar(plugins, "b-echo.jar", "echo", CURRENT, WORKS);

    Discovery discovery = discover(plugins);

    assertThat(discovery.conflicts()).singleElement().asString()
        .contains("'echo'", first.toString(), second.toString());
    assertThatThrownBy(() -> Peft4j.builder().pluginFolder(plugins).build())
        .isInstanceOf(PluginException.class)
        .hasMessageContaining(first.toString())
        .hasMessageContaining(second.toString());
  }

  @Test
  void aPluginMayNotClaimABuiltInId() throws Exception {
    Path jar = TestPlugins.methodJar(plugins, "fake-lora.jar", "lora", CURRENT, WORKS);

    Discovery discovery = discover(plugins);

    assertThat(discovery.conflicts()).singleElement().asString()
        .contains("'lora'", "method-lora", jar.toString(), "built-in");
    assertThat(discovery.methods().get("lora").builtIn()).isTrue();
  }

  @Test
  void aProviderThatThrowsIsReportedAndTheOthersKeepWorking() throws Exception {
    TestPlugins.methodJar(plugins, "broken.jar", "broken", CURRENT, THROWS_ON_CREATE);
    TestPlugins.methodJar(plugins, "good.jar", "good", CURRENT, WORKS);

    Discovery discovery = discover(plugins);

    assertThat(discovery.refused()).singleElement().asString()
        .contains("com.example.broken.Provider", "broken.jar", "broken plugin");
    assertThat(discovery.methods()).containsKey("good").doesNotContainKey("broken");
    assertThat(discovery.conflicts()).isEmpty();
  }

  @Test
  void aProviderWhoseMethodListThrowsIsReported() throws Exception {
    TestPlugins.methodJar(plugins, "broken.jar", "broken", CURRENT, THROWS_IN_METHODS);

    Discovery discovery = discover(plugins);

    assertThat(discovery.refused()).singleElement().asString().contains("methods() failed");
    assertThat(discovery.methods()).doesNotContainKey("broken");
  }

  @Test
  void aPluginBuiltForAnotherMajorApiIsRefusedNamingBothVersions() throws Exception {
    TestPlugins.methodJar(plugins, "future.jar", "future", "\"2.0\"", WORKS);

    Discovery discovery = discover(plugins);

    assertThat(discovery.refused()).singleElement().asString()
        .contains("API 2.0", "API " + ApiVersion.CURRENT, "future.jar");
    assertThat(discovery.methods()).doesNotContainKey("future");
  }

  @Test
  void theRefusalThePluginGuideShowsIsWhatDiscoverySays() throws Exception {
    Path folder = java.nio.file.Files.createDirectories(plugins.resolve("plugins"));
    TestPlugins.methodJar(folder, "future.jar", "future", "\"2.0\"", WORKS);

    String refused = discover(folder).refused().get(0).replace(plugins + java.io.File.separator, "");

    Path guide = Path.of("..", "docs", "plugin-authors.md");
    assertThat(refused).isEqualTo(dev.peft4j.runtime.cli.DocsTest.blockCheckedBy(guide, "PluginDiscoveryTest").strip());
  }

  @Test
  void aPluginBuiltForANewerMinorApiIsRefused() throws Exception {
    TestPlugins.methodJar(plugins, "newer.jar", "newer", "\"1.9\"", WORKS);

    assertThat(discover(plugins).refused()).singleElement().asString().contains("API 1.9");
  }

  @Test
  void aPluginThatDefinesSettingsOfAnotherMethodIsRefused() throws Exception {
    TestPlugins.jar(plugins.resolve("sneaky.jar"), "com/example/sneaky/Provider.java", """
        package com.example.sneaky;
        import dev.peft4j.api.*;
        import java.util.List;
        public final class Provider implements MethodProvider {
          public String apiVersion() { return ApiVersion.CURRENT; }
          public List<MethodFactory<?>> methods() { return List.of(); }
        }
        """, "com.example.sneaky.Provider", "peft4j.lora.rank = 99\n");

    Discovery discovery = discover(plugins);

    assertThat(discovery.refused()).singleElement().asString().contains("sneaky.jar", "peft4j.lora");
    assertThat(discovery.reference().getInt("peft4j.lora.rank")).isEqualTo(8);
  }

  @Test
  void aMethodWithoutDefaultsIsRefused() throws Exception {
    TestPlugins.jar(plugins.resolve("bare.jar"), "com/example/bare/Provider.java", """
        package com.example.bare;
        import dev.peft4j.api.*;
        import dev.peft4j.api.config.SettingsReader;
        import java.util.List;
        import java.util.Set;
        public final class Provider implements MethodProvider {
          public String apiVersion() { return ApiVersion.CURRENT; }
          public List<MethodFactory<?>> methods() {
            return List.of(new MethodFactory<Object>() {
              public MethodDescriptor descriptor() {
                return new MethodDescriptor("bare", Set.of(MethodKind.SELECTOR), "1", "no defaults", Set.of(), List.of());
              }
              public Object readSettings(SettingsReader r) { return null; }
              public PeftMethod create(Object s, MethodContext c) { return null; }
            });
          }
        }
        """, "com.example.bare.Provider", "# nothing\n");

    Discovery discovery = discover(plugins);

    assertThat(discovery.refused()).singleElement().asString().contains("bare", "peft4j.bare", "reference.conf");
    assertThat(discovery.methods()).doesNotContainKey("bare");
  }

  @Test
  void aMissingPluginFolderIsReported() {
    Path missing = plugins.resolve("nope");

    Discovery discovery = discover(missing);

    assertThat(discovery.refused()).singleElement().asString().contains(missing.toString(), "does not exist");
    assertThat(discovery.methods()).containsKey("lora");
  }
}
