package dev.peft4j.runtime.nn;

import ai.djl.util.cuda.CudaUtils;
import dev.peft4j.runtime.config.CoreSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Whether the device a run trains on computes bfloat16 natively, and why: a CUDA GPU of compute capability 8.0 or
 * newer (Ampere), or a CPU with AVX512-BF16 or AMX-BF16 (libtorch's oneDNN kernels use them; elsewhere it
 * emulates bf16 in float32, correct but slower than float32). Asked without starting the PyTorch engine.
 *
 * <p>{@code ATEN_CPU_CAPABILITY} below {@code avx512} keeps libtorch's own kernels from those instructions; on such a
 * CPU its bf16 flash attention then fails ("pack_vnni2 is only supported when avx512 is supported", libtorch 2.7.1,
 * measured with {@code ATEN_CPU_CAPABILITY=avx2} on a CPU with amx_bf16), so bf16 is neither native nor usable there.
 *
 * @param nativeBf16 whether bf16 runs on the device's own instructions
 * @param device what the device is, as a person reads it
 * @param reason what makes it so (the capability or the CPU flags found)
 * @param unusable why bf16 cannot run at all here, or null when it can
 */
public record Bf16Support(boolean nativeBf16, String device, String reason, String unusable) {

  /** The CPU flags that give native bf16 matrix products. */
  static final List<String> CPU_FLAGS = List.of("amx_bf16", "avx512_bf16");

  /** The training device's support: the first CUDA GPU if there is one, else the CPU. */
  public static Bf16Support detect() {
    return cuda().orElseGet(() -> cpu(Path.of("/proc/cpuinfo"), System.getenv("ATEN_CPU_CAPABILITY")));
  }

  private static Optional<Bf16Support> cuda() {
    try {
      if (!CudaUtils.hasCuda() || CudaUtils.getGpuCount() == 0) {
        return Optional.empty();
      }
      String capability = CudaUtils.getComputeCapability(0);
      boolean ampere = capability != null && Integer.parseInt(capability.replace(".", "").substring(0, 1)) >= 8;
      return Optional.of(new Bf16Support(ampere, "CUDA GPU 0", "compute capability " + capability
          + (ampere ? " (8.0 or newer)" : ", older than 8.0 (Ampere)"), null));
    } catch (RuntimeException | LinkageError e) {
      return Optional.empty();
    }
  }

  /**
   * From the {@code flags} line of a {@code /proc/cpuinfo}; a CPU whose flags cannot be read is taken as without.
   *
   * @param atenCapability {@code ATEN_CPU_CAPABILITY}, or null when it is not set
   */
  static Bf16Support cpu(Path cpuinfo, String atenCapability) {
    List<String> flags;
    try (var lines = Files.lines(cpuinfo)) {
      flags = lines.filter(line -> line.startsWith("flags")).findFirst()
          .map(line -> Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split("\\s+"))).orElse(List.of());
    } catch (IOException | RuntimeException e) {
      return new Bf16Support(false, "the CPU", "its flags cannot be read (" + cpuinfo + ")", null);
    }
    List<String> found = CPU_FLAGS.stream().filter(flags::contains).toList();
    if (found.isEmpty()) {
      return new Bf16Support(false, "the CPU", "it has neither " + String.join(" nor ", CPU_FLAGS), null);
    }
    String has = "it has " + String.join(" and ", found);
    if (atenCapability != null && !atenCapability.equalsIgnoreCase("avx512")) {
      return new Bf16Support(false, "the CPU", has + ", but ATEN_CPU_CAPABILITY=" + atenCapability
          + " keeps libtorch from them", "libtorch's bf16 attention fails on this CPU under ATEN_CPU_CAPABILITY="
          + atenCapability + " (\"pack_vnni2 is only supported when avx512 is supported\"): unset ATEN_CPU_CAPABILITY, "
          + "or set training.precision = fp32 (or auto)");
    }
    return new Bf16Support(true, "the CPU", has, null);
  }

  /** The precision a run computes in for the setting {@code choice}, with a line that says which and why. */
  public Choice choose(CoreSettings.Precision choice) {
    if (choice == CoreSettings.Precision.BF16 && unusable != null) {
      throw new dev.peft4j.api.Peft4jException("training.precision = bf16 cannot run here: " + unusable);
    }
    String native_ = device + (nativeBf16 ? " computes bf16 natively: " : " does not compute bf16 natively: ") + reason;
    return switch (choice) {
      case FP32 -> new Choice(Precision.FP32, "precision fp32 (training.precision = fp32)");
      case BF16 -> new Choice(Precision.BF16, "precision bf16 (training.precision = bf16); " + native_
          + (nativeBf16 ? "" : ". It works, emulated and slower than fp32: set training.precision = auto or fp32"));
      case AUTO -> new Choice(nativeBf16 ? Precision.BF16 : Precision.FP32, "precision "
          + (nativeBf16 ? "bf16" : "fp32") + " (training.precision = auto): " + native_);
    };
  }

  /** A precision and why it was chosen. */
  public record Choice(Precision precision, String why) {}
}
