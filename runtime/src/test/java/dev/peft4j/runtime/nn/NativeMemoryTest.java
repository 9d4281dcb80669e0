package dev.peft4j.runtime.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.NativeLibrary;
import org.junit.jupiter.api.Test;

class NativeMemoryTest {

  /**
   * On glibc, both settings are taken (mallopt says 1 for each), and asking again changes nothing. What they do to a
   * training step, minor page faults a step, is measured by bench/side-by-side (TrainingBenchmark's
   * minor_faults_per_step).
   */
  @Test
  void glibcTakesBothSettingsOnce() {
    assumeTrue(System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux"));
    boolean glibc;
    try {
      glibc = NativeLibrary.getInstance("c").getFunction("gnu_get_libc_version") != null;
    } catch (UnsatisfiedLinkError e) {
      glibc = false;
    }
    assumeTrue(glibc, "glibc");

    assertThat(NativeMemory.keepFreedMemory()).isTrue();
    assertThat(NativeMemory.keepFreedMemory()).isTrue();
  }
}
