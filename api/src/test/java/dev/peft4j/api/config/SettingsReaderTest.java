package dev.peft4j.api.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsReaderTest {

  /** What a module's reference.conf would hold: every key of the blocks, with its default. */
  private static final String REFERENCE = """
      peft4j.x {
        rank = 8
        ratio = 0.5
        name = "a"
        flag = false
        targets = [q_proj]
        layers = []
        patterns {}
        mode = std
        optional-ratio = null
        optional-name = null
      }
      peft4j.y {
        steps = 1
      }
      """;

  enum Mode { STD, REVERSE_STD, LEFT }

  @TempDir Path dir;
  private Path runFile;

  @BeforeEach
  void setUp() {
    runFile = dir.resolve("run.conf");
  }

  /** The user's run file, parsed from disk so that origins have a file and a line, over the reference. */
  private SettingsReader reader(String userConf) throws IOException {
    return new SettingsReader(config(userConf), "peft4j.x");
  }

  private Config config(String userConf) throws IOException {
    Files.writeString(runFile, userConf);
    Config user = ConfigFactory.parseFile(runFile.toFile());
    Config reference = ConfigFactory.parseString(REFERENCE, ConfigParseOptions.defaults().setOriginDescription("reference"));
    return user.withFallback(reference).resolve();
  }

  private String at(int line) {
    return runFile + ":" + line;
  }

  @Test
  void readsDefaultsFromTheReferenceWithoutProblems() throws IOException {
    SettingsReader r = reader("");

    assertThat(r.path()).isEqualTo("peft4j.x");
    assertThat(r.integer("rank")).isEqualTo(8);
    assertThat(r.number("ratio")).isEqualTo(0.5);
    assertThat(r.string("name")).isEqualTo("a");
    assertThat(r.bool("flag")).isFalse();
    assertThat(r.strings("targets")).containsExactly("q_proj");
    assertThat(r.integers("layers")).isEmpty();
    assertThat(r.numberMap("patterns")).isEmpty();
    assertThat(r.choice("mode", Mode.class)).isEqualTo(Mode.STD);
    assertThat(r.optionalNumber("optional-ratio")).isEmpty();
    assertThat(r.optionalString("optional-name")).isEmpty();
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void userValuesOverrideTheReference() throws IOException {
    SettingsReader r = reader("peft4j.x { rank = 16, ratio = 0.25, name = b, flag = true, targets = [k_proj, o_proj] }");

    assertThat(r.integer("rank")).isEqualTo(16);
    assertThat(r.number("ratio")).isEqualTo(0.25);
    assertThat(r.string("name")).isEqualTo("b");
    assertThat(r.bool("flag")).isTrue();
    assertThat(r.strings("targets")).containsExactly("k_proj", "o_proj");
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void collectsEveryProblemInsteadOfStoppingAtTheFirst() throws IOException {
    SettingsReader r = reader("""
        peft4j.x {
          rank = "eight"
          ratio = [1]
          flag = maybe
        }
        """);

    assertThat(r.integer("rank")).isZero();
    assertThat(r.number("ratio")).isZero();
    assertThat(r.bool("flag")).isFalse();
    assertThat(r.string("name")).isEqualTo("a");

    assertThat(r.problems()).extracting(SettingProblem::path)
        .containsExactly("peft4j.x.rank", "peft4j.x.ratio", "peft4j.x.flag");
  }

  @Test
  void aProblemNamesTheFullPathTheFileAndLineAndTheExpectedType() throws IOException {
    SettingsReader r = reader("""
        # my run
        peft4j.x {
          rank = "eight"
          flag = maybe
        }
        """);
    r.integer("rank");
    r.bool("flag");

    assertThat(r.problems()).containsExactly(
        new SettingProblem("peft4j.x.rank", at(3), "expected an integer, got a string \"eight\""),
        new SettingProblem("peft4j.x.flag", at(4), "expected true or false, got a string \"maybe\""));
    assertThat(r.problems().get(0)).hasToString(
        "peft4j.x.rank (" + at(3) + "): expected an integer, got a string \"eight\"");
  }

  @Test
  void integerRejectsAFractionalNumber() throws IOException {
    SettingsReader r = reader("peft4j.x.rank = 8.5");

    assertThat(r.integer("rank")).isZero();
    assertThat(r.problems()).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.x.rank");
      assertThat(p.origin()).isEqualTo(at(1));
      assertThat(p.message()).isEqualTo("expected an integer, got the number 8.5");
    });
  }

  @Test
  void integerRejectsNumbersBeyondTheIntRange() throws IOException {
    SettingsReader r = reader("peft4j.x.rank = 3000000000");

    r.integer("rank");

    assertThat(r.problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).startsWith("expected an integer, got the number 3000000000"));
  }

  @Test
  void integerAtLeastAcceptsTheMinimumAndReportsLessReturningTheMinimum() throws IOException {
    SettingsReader ok = reader("peft4j.x.rank = 1");
    assertThat(ok.integerAtLeast("rank", 1)).isEqualTo(1);
    assertThat(ok.problems()).isEmpty();

    SettingsReader low = reader("peft4j.x.rank = 0");
    assertThat(low.integerAtLeast("rank", 1)).isEqualTo(1);
    assertThat(low.problems()).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.x.rank");
      assertThat(p.origin()).isEqualTo(at(1));
      assertThat(p.message()).isEqualTo("must be at least 1, got 0");
    });
  }

  @Test
  void integerAtLeastReportsAWrongTypeOnlyOnce() throws IOException {
    SettingsReader r = reader("peft4j.x.rank = lots");

    r.integerAtLeast("rank", 1);

    assertThat(r.problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).startsWith("expected an integer"));
  }

  @Test
  void numberInRangeAcceptsBoundsAndReportsValuesOutside() throws IOException {
    assertThat(reader("peft4j.x.ratio = 0").numberInRange("ratio", 0, 1)).isZero();
    assertThat(reader("peft4j.x.ratio = 1").numberInRange("ratio", 0, 1)).isEqualTo(1.0);

    SettingsReader high = reader("peft4j.x.ratio = 1.5");
    assertThat(high.numberInRange("ratio", 0, 1)).isZero();
    SettingsReader low = reader("peft4j.x.ratio = -0.1");
    low.numberInRange("ratio", 0, 1);

    assertThat(high.problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).isEqualTo("must be between 0.0 and 1.0, got 1.5"));
    assertThat(low.problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).isEqualTo("must be between 0.0 and 1.0, got -0.1"));
  }

  @Test
  void positiveNumberRejectsZeroAndNegativeValues() throws IOException {
    assertThat(reader("peft4j.x.ratio = 0.001").positiveNumber("ratio")).isEqualTo(0.001);

    SettingsReader zero = reader("peft4j.x.ratio = 0");
    zero.positiveNumber("ratio");
    SettingsReader negative = reader("peft4j.x.ratio = -2");
    negative.positiveNumber("ratio");

    assertThat(zero.problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).isEqualTo("must be positive, got 0.0"));
    assertThat(negative.problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).isEqualTo("must be positive, got -2.0"));
  }

  @Test
  void numberAtLeastAcceptsTheMinimumAndReportsLess() throws IOException {
    SettingsReader ok = reader("peft4j.x.ratio = 0");
    assertThat(ok.numberAtLeast("ratio", 0)).isZero();
    assertThat(ok.problems()).isEmpty();

    SettingsReader low = reader("peft4j.x.ratio = -0.5");
    low.numberAtLeast("ratio", 0);
    assertThat(low.problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).isEqualTo("must be at least 0.0, got -0.5"));
  }

  @Test
  void rangeChecksDoNotPileOntoATypeError() throws IOException {
    SettingsReader r = reader("peft4j.x { ratio = half, rank = [] }");

    r.positiveNumber("ratio");
    r.numberInRange("ratio", 0.1, 1);
    r.numberAtLeast("ratio", 1);
    r.integerAtLeast("rank", 1);

    assertThat(r.problems()).extracting(SettingProblem::message)
        .containsExactly("expected a number, got a string \"half\"", "expected a number, got a string \"half\"",
            "expected a number, got a string \"half\"", "expected an integer, got a list []");
  }

  @Test
  void hasProblemIsTrueOnceAProblemIsRecordedForTheKey() throws IOException {
    SettingsReader r = reader("peft4j.x.rank = a");

    assertThat(r.hasProblem("rank")).isFalse();
    r.integer("rank");

    assertThat(r.hasProblem("rank")).isTrue();
    assertThat(r.hasProblem("ratio")).isFalse();
  }

  @Test
  void numbersAndBooleansWrittenAsStringsAreAccepted() throws IOException {
    Config config = config("peft4j.x { rank = \"8\", ratio = \" 0.75 \", flag = \"true\" }");
    assertThat(config.getValue("peft4j.x.rank").valueType()).isEqualTo(ConfigValueType.STRING);
    assertThat(config.getValue("peft4j.x.flag").valueType()).isEqualTo(ConfigValueType.STRING);
    SettingsReader r = new SettingsReader(config, "peft4j.x");

    assertThat(r.integer("rank")).isEqualTo(8);
    assertThat(r.number("ratio")).isEqualTo(0.75);
    assertThat(r.bool("flag")).isTrue();
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void aBooleanIsOnlyTrueOrFalse() throws IOException {
    SettingsReader r = reader("peft4j.x.flag = yes");

    assertThat(r.bool("flag")).isFalse();

    assertThat(r.problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).isEqualTo("expected true or false, got a string \"yes\""));
  }

  @Test
  void aStringAcceptsNumbersAndBooleansButNotLists() throws IOException {
    SettingsReader r = reader("peft4j.x { name = 12, optional-name = [a] }");

    assertThat(r.string("name")).isEqualTo("12");
    assertThat(r.optionalString("optional-name")).isEmpty();
    assertThat(r.problems()).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.x.optional-name");
      assertThat(p.message()).isEqualTo("expected a string or null, got a list [\"a\"]");
    });
  }

  @Test
  void stringsAcceptsASingleStringAsAOneElementList() throws IOException {
    SettingsReader r = reader("peft4j.x.targets = v_proj");

    assertThat(r.strings("targets")).containsExactly("v_proj");
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void stringsReportsAValueThatIsNotAList() throws IOException {
    SettingsReader r = reader("peft4j.x.targets = { a = 1 }");

    assertThat(r.strings("targets")).isEmpty();
    assertThat(r.problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).startsWith("expected a list of strings, got an object"));
  }

  @Test
  void integersReadsAListAndRejectsFractions() throws IOException {
    assertThat(reader("peft4j.x.layers = [0, 3, 5]").integers("layers")).containsExactly(0, 3, 5);

    SettingsReader r = reader("peft4j.x.layers = [1, 1.5]");
    assertThat(r.integers("layers")).isEmpty();
    assertThat(r.problems()).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.x.layers");
      assertThat(p.message()).isEqualTo("expected a list of integers, got the number 1.5");
    });
  }

  @Test
  void integersRejectsNumbersBeyondTheIntRange() throws IOException {
    SettingsReader r = reader("peft4j.x.layers = [10000000000]");

    r.integers("layers");

    assertThat(r.problems()).extracting(SettingProblem::path).containsExactly("peft4j.x.layers");
  }

  @Test
  void numberInRangeRejectsNotANumber() throws IOException {
    SettingsReader r = reader("peft4j.x.ratio = NaN");

    r.numberInRange("ratio", 0, 1);

    assertThat(r.problems()).extracting(SettingProblem::path).containsExactly("peft4j.x.ratio");
  }

  @Test
  void choiceAcceptsDashesUnderscoresAndAnyCase() throws IOException {
    assertThat(reader("peft4j.x.mode = reverse-std").choice("mode", Mode.class)).isEqualTo(Mode.REVERSE_STD);
    assertThat(reader("peft4j.x.mode = reverse_std").choice("mode", Mode.class)).isEqualTo(Mode.REVERSE_STD);
    assertThat(reader("peft4j.x.mode = REVERSE_STD").choice("mode", Mode.class)).isEqualTo(Mode.REVERSE_STD);
    assertThat(reader("peft4j.x.mode = left").choice("mode", Mode.class)).isEqualTo(Mode.LEFT);
  }

  @Test
  void choiceListsTheAllowedNamesWhenTheValueIsNotOne() throws IOException {
    SettingsReader r = reader("peft4j.x.mode = diagonal");

    assertThat(r.choice("mode", Mode.class)).isEqualTo(Mode.STD);
    assertThat(r.problems()).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.x.mode");
      assertThat(p.origin()).isEqualTo(at(1));
      assertThat(p.message()).isEqualTo("must be one of std, reverse-std, left, got \"diagonal\"");
    });
  }

  @Test
  void numberMapReadsQuotedRegexKeys() throws IOException {
    SettingsReader r = reader("""
        peft4j.x.patterns {
          "model\\\\.layers\\\\.[0-3]\\\\..*q_proj" = 16
          ".*v_proj$" = 4.5
          o_proj = 2
        }
        """);

    assertThat(r.numberMap("patterns")).containsOnly(
        entry("model\\.layers\\.[0-3]\\..*q_proj", 16.0), entry(".*v_proj$", 4.5), entry("o_proj", 2.0));
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void numberMapKeepsTheKeysInTheOrderWritten() throws IOException {
    SettingsReader r = reader("""
        peft4j.x.patterns {
          "layers[.]0[.].*" = 4
          zeta = 1
          ".*q_proj" = 16
          alpha = 2
          o_proj = 8
        }
        """);

    assertThat(r.numberMap("patterns")).containsExactly(entry("layers[.]0[.].*", 4.0), entry("zeta", 1.0),
        entry(".*q_proj", 16.0), entry("alpha", 2.0), entry("o_proj", 8.0));
  }

  @Test
  void numberMapReportsANonNumberUnderItsQuotedKey() throws IOException {
    SettingsReader r = reader("""
        peft4j.x.patterns {
          ".*q_proj" = big
          k_proj = 8
        }
        """);

    assertThat(r.numberMap("patterns")).containsExactly(entry("k_proj", 8.0));
    assertThat(r.problems()).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.x.patterns.\".*q_proj\"");
      assertThat(p.origin()).isEqualTo(at(2));
      assertThat(p.message()).isEqualTo("expected a number, got a string \"big\"");
    });
  }

  @Test
  void numberMapReportsAValueThatIsNotAnObject() throws IOException {
    SettingsReader r = reader("peft4j.x.patterns = [1, 2]");

    assertThat(r.numberMap("patterns")).isEmpty();
    assertThat(r.problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).startsWith("expected an object of numbers"));
  }

  @Test
  void optionalNumberIsEmptyWhenNullAndPresentWhenSet() throws IOException {
    assertThat(reader("").optionalNumber("optional-ratio")).isEmpty();
    assertThat(reader("peft4j.x.optional-ratio = null").optionalNumber("optional-ratio")).isEmpty();
    assertThat(reader("peft4j.x.optional-ratio = 16").optionalNumber("optional-ratio")).hasValue(16.0);

    SettingsReader bad = reader("peft4j.x.optional-ratio = sixteen");
    assertThat(bad.optionalNumber("optional-ratio")).isEmpty();
    assertThat(bad.problems()).singleElement()
        .satisfies(p -> assertThat(p.message()).isEqualTo("expected a number or null, got a string \"sixteen\""));
  }

  @Test
  void aRequiredValueSetToNullIsReported() throws IOException {
    SettingsReader r = reader("peft4j.x.rank = null");

    assertThat(r.integer("rank")).isZero();
    assertThat(r.problems()).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.x.rank");
      assertThat(p.message()).isEqualTo("must be set (expected an integer)");
    });
  }

  @Test
  void aKeyMissingFromTheReferenceIsReportedAsABugOfTheDefaults() throws IOException {
    SettingsReader r = reader("");

    assertThat(r.integer("forgotten")).isZero();
    assertThat(r.strings("forgotten-list")).isEmpty();

    assertThat(r.problems()).hasSize(2).first().satisfies(p -> {
      assertThat(p.path()).isEqualTo("peft4j.x.forgotten");
      assertThat(p.origin()).isEqualTo(Origins.DEFAULT);
      assertThat(p.message()).contains("has no default").contains("reference.conf").contains("peft4j.x");
    });
  }

  @Test
  void problemRecordsTheOriginOfTheKey() throws IOException {
    SettingsReader r = reader("\n\npeft4j.x.rank = 7\n");

    r.problem("rank", "must be even");

    assertThat(r.problems()).containsExactly(new SettingProblem("peft4j.x.rank", at(3), "must be even"));
    assertThat(r.originOf("rank")).isEqualTo(at(3));
    assertThat(r.originOf("optional-ratio")).isEqualTo(Origins.DEFAULT);
  }

  @Test
  void blockReadsAnotherPathAndSharesProblemsWithItsParent() throws IOException {
    SettingsReader x = reader("peft4j { x.rank = a, y.steps = b }");
    SettingsReader y = x.block("peft4j.y");

    x.integer("rank");
    y.integer("steps");

    assertThat(y.path()).isEqualTo("peft4j.y");
    assertThat(x.problems()).extracting(SettingProblem::path).containsExactly("peft4j.x.rank", "peft4j.y.steps");
    assertThat(y.problems()).isEqualTo(x.problems());
  }

  @Test
  void problemsIsASnapshotThatCannotBeChanged() throws IOException {
    SettingsReader r = reader("peft4j.x.rank = a");
    r.integer("rank");
    List<SettingProblem> snapshot = r.problems();

    r.problem("ratio", "another");

    assertThat(snapshot).hasSize(1);
    assertThat(r.problems()).hasSize(2);
    assertThatThrownBy(snapshot::clear).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void throwIfProblemsDoesNothingWithoutProblems() throws IOException {
    SettingsReader r = reader("");
    r.integer("rank");

    assertThatCode(r::throwIfProblems).doesNotThrowAnyException();
  }

  @Test
  void throwIfProblemsThrowsAConfigurationExceptionNumberingEveryProblem() throws IOException {
    SettingsReader r = reader("""
        peft4j.x {
          rank = 8.5
          flag = maybe
        }
        """);
    r.integer("rank");
    r.bool("flag");

    assertThatThrownBy(r::throwIfProblems)
        .isInstanceOfSatisfying(ConfigurationException.class, e -> {
          assertThat(e.problems()).hasSize(2);
          assertThat(e.violations()).isEmpty();
          assertThat(e.getMessage())
              .startsWith("the run cannot start: 2 problems in the settings:")
              .contains("1. peft4j.x.rank (" + at(2) + "): expected an integer, got the number 8.5")
              .contains("2. peft4j.x.flag (" + at(3) + "): expected true or false");
        });
  }
}
