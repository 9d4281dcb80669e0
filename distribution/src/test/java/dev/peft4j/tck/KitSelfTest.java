package dev.peft4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.peft4j.api.MethodProvider;
import dev.peft4j.tck.broken.BrokenProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The kit fails a method that breaks its contract, and says where: a plugin with one chosen defect (a jar built
 * here from {@link BrokenProvider}, in a plugin folder) is run through {@link MethodContract} by the JUnit
 * launcher, and exactly the checks that concern the defect fail.
 */
class KitSelfTest {

  @TempDir
  Path dir;

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
      "none;              ",
      "leak;              nativeMemoryDoesNotGrowAcrossSteps",
      "changes-init;      outputUnchangedAtInitialisation",
      "unsaved;           trainableParametersAreExactlyWhatItReports saveAndLoadGiveIdenticalOutputs",
      "no-load;           saveAndLoadGiveIdenticalOutputs",
      "missing-merge;     mergeEqualsTheUnmergedForward",
      "moves-frozen;      aTrainingStepChangesOnlyWhatTrains",
      "forgotten-setting; referenceConfCoversEverySetting",
      "undocumented;      referenceConfCoversEverySetting",
      "plan-lies;         planIsWhatApplyDoes"})
  void theKitFailsExactlyTheChecksADefectBreaks(String defect, String failing) throws Exception {
    BrokenMethodContract.pluginFolder = pluginWith(defect);
    Outcomes outcomes = run(BrokenMethodContract.class);
    Set<String> expected = failing == null ? Set.of() : Set.of(failing.trim().split("\\s+"));
    assertThat(outcomes.failed().keySet()).as("failed checks: %s", outcomes.failed())
        .containsExactlyInAnyOrderElementsOf(expected);
    assertThat(outcomes.skipped()).as("the broken method plans: its plan is checked, not skipped")
        .doesNotContainKey("planIsWhatApplyDoes");
    if (defect.equals("plan-lies")) {
      assertThat(outcomes.failed().get("planIsWhatApplyDoes")).as("the failure names the parameter planned in excess")
          .contains("model.layers.0.self_attn.k_proj.scale: planned ([16] trainable), but the model after apply has "
              + "no such parameter", "PEFT's line: planned \"trainable params: 48 ||");
    }
  }

  @Test
  void aMethodThatCannotBePricedHasItsPlanCheckSkippedWithTheReason() throws Exception {
    BrokenMethodContract.pluginFolder = pluginWith("unpriced");
    Outcomes outcomes = run(BrokenMethodContract.class);
    assertThat(outcomes.failed()).as("failed checks").isEmpty();
    assertThat(outcomes.skipped()).as("skipped checks").containsKey("planIsWhatApplyDoes");
    assertThat(outcomes.skipped().get("planIsWhatApplyDoes")).contains("the method cannot be priced");
  }

  /** A plugin folder with the broken method's jar, its reference.conf set for {@code defect}. */
  private Path pluginWith(String defect) throws IOException, URISyntaxException {
    boolean setting = !defect.equals("forgotten-setting") && !defect.equals("undocumented");
    String reference = "peft4j.broken {\n"
        + (defect.equals("undocumented") ? "" : "  # Which defect the method has.\n")
        + "  defect = " + (setting ? defect : "none") + "\n"
        + (defect.equals("forgotten-setting") ? "  # A setting the method never reads.\n  forgotten = 1\n" : "")
        + "}\n";
    Path classes = Path.of(BrokenProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path folder = Files.createDirectories(dir.resolve("plugins-" + defect));
    try (OutputStream file = Files.newOutputStream(folder.resolve("broken.jar"));
        JarOutputStream jar = new JarOutputStream(file, new Manifest())) {
      List<Path> classFiles;
      try (Stream<Path> walk = Files.walk(classes.resolve("dev/peft4j/tck/broken"))) {
        classFiles = walk.filter(Files::isRegularFile).toList();
      }
      for (Path classFile : classFiles) {
        jar.putNextEntry(new JarEntry(classes.relativize(classFile).toString().replace('\\', '/')));
        jar.write(Files.readAllBytes(classFile));
        jar.closeEntry();
      }
      jar.putNextEntry(new JarEntry("META-INF/services/" + MethodProvider.class.getName()));
      jar.write((BrokenProvider.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
      jar.closeEntry();
      jar.putNextEntry(new JarEntry("reference.conf"));
      jar.write(reference.getBytes(StandardCharsets.UTF_8));
      jar.closeEntry();
    }
    return folder;
  }

  /** The checks of a contract class that failed and that were skipped, each with its message. */
  private record Outcomes(Map<String, String> failed, Map<String, String> skipped) {}

  /** Runs a contract class with the JUnit launcher. */
  private static Outcomes run(Class<?> contract) {
    Outcomes outcomes = new Outcomes(new TreeMap<>(), new TreeMap<>());
    Launcher launcher = LauncherFactory.create();
    launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(contract)).build(),
        new TestExecutionListener() {
          @Override
          public void executionFinished(TestIdentifier test, TestExecutionResult result) {
            Map<String, String> into = switch (result.getStatus()) {
              case FAILED -> outcomes.failed();
              case ABORTED -> outcomes.skipped();
              case SUCCESSFUL -> null;
            };
            if (into != null) {
              String name = test.getSource().filter(MethodSource.class::isInstance)
                  .map(s -> ((MethodSource) s).getMethodName()).orElse(test.getDisplayName());
              into.put(name, result.getThrowable().map(Throwable::toString).orElse(""));
            }
          }
        });
    return outcomes;
  }
}
