package dev.peft4j.runtime.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.sun.jna.NativeLibrary;
import dev.peft4j.runtime.bench.TrainingBenchmark;
import org.junit.jupiter.api.Test;

class NativeMemoryTest {

  /**
   * On glibc, both settings are taken (mallopt says 1 for each), and asking again changes nothing. What they do to a
   * training step, minor page faults a step, is measured by bench/side-by-side (TrainingBenchmark's
   * minor_faults_per_step).
   */
  @Test
  void glibcTakesBothSettingsOnce() {
    assumeGlibc();

    assertThat(NativeMemory.keepFreedMemory()).isTrue();
    assertThat(NativeMemory.keepFreedMemory()).isTrue();
  }

  /**
   * With the trim threshold out of reach, what libtorch frees stays with the process until {@code releaseFreed}
   * gives it back: 64 arrays of 1 MiB, below the mmap threshold, come from glibc's heap and leave free pages there,
   * resident until the trim. The process's resident set falls by at least half of them (the rest is margin for what
   * the JVM allocates meanwhile).
   */
  @Test
  void whatLibtorchFreedIsGivenBackOnRequest() {
    assumeGlibc();
    NativeMemory.keepFreedMemory();
    try (NDManager manager = NDManager.newBaseManager()) {
      for (int i = 0; i < 64; i++) {
        manager.ones(new Shape(1 << 18)); // 1 MiB of float32, all alive until the manager closes
      }
    }
    long kept = TrainingBenchmark.kilobytes("VmRSS");

    assertThat(NativeMemory.releaseFreed()).isTrue();
    assertThat(kept - TrainingBenchmark.kilobytes("VmRSS")).as("KiB given back").isGreaterThanOrEqualTo(32 * 1024);
  }

  private static void assumeGlibc() {
    assumeTrue(System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux"));
    boolean glibc;
    try {
      glibc = NativeLibrary.getInstance("c").getFunction("gnu_get_libc_version") != null;
    } catch (UnsatisfiedLinkError e) {
      glibc = false;
    }
    assumeTrue(glibc, "glibc");
  }
}
