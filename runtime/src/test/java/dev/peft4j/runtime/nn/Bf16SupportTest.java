package dev.peft4j.runtime.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peft4j.api.Peft4jException;
import dev.peft4j.runtime.config.CoreSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Bf16SupportTest {

  @TempDir
  Path dir;

  private Path cpuinfo(String flags) throws IOException {
    return Files.writeString(dir.resolve("cpuinfo"), "processor\t: 0\nflags\t\t: fpu sse2 avx2 " + flags + "\n");
  }

  @Test
  void aCpuWithAmxComputesBf16NativelyAndAutoChoosesIt() throws IOException {
    Bf16Support support = Bf16Support.cpu(cpuinfo("avx512f avx512_bf16 amx_bf16"), null);

    assertThat(support.nativeBf16()).isTrue();
    assertThat(support.choose(CoreSettings.Precision.AUTO).precision()).isEqualTo(Precision.BF16);
    assertThat(Bf16Support.cpu(cpuinfo("avx512_bf16"), "avx512").nativeBf16()).isTrue();
  }

  /** Measured: ATEN_CPU_CAPABILITY=avx2 on an AMX Xeon makes libtorch 2.7.1's bf16 attention throw (pack_vnni2). */
  @Test
  void atenCapabilityBelowAvx512MakesBf16UnusableOnSuchACpu() throws IOException {
    Bf16Support support = Bf16Support.cpu(cpuinfo("avx512f avx512_bf16 amx_bf16"), "avx2");

    assertThat(support.nativeBf16()).isFalse();
    Bf16Support.Choice auto = support.choose(CoreSettings.Precision.AUTO);
    assertThat(auto.precision()).isEqualTo(Precision.FP32);
    assertThat(auto.why()).contains("ATEN_CPU_CAPABILITY=avx2");
    assertThatThrownBy(() -> support.choose(CoreSettings.Precision.BF16)).isInstanceOf(Peft4jException.class)
        .hasMessageContaining("training.precision = bf16 cannot run here").hasMessageContaining("unset ATEN_CPU_CAPABILITY");
  }

  @Test
  void withoutBf16InstructionsBf16IsEmulatedNotRefused() throws IOException {
    Bf16Support support = Bf16Support.cpu(cpuinfo(""), "avx2");

    assertThat(support.nativeBf16()).isFalse();
    assertThat(support.choose(CoreSettings.Precision.BF16).why()).contains("emulated and slower than fp32");
    assertThat(support.choose(CoreSettings.Precision.AUTO).precision()).isEqualTo(Precision.FP32);
  }
}
