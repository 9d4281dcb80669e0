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
 * @param nativeBf16 whether bf16 runs on the device's own instructions
 * @param device what the device is, as a person reads it
 * @param reason what makes it so (the capability or the CPU flags found)
 */
public record Bf16Support(boolean nativeBf16, String device, String reason) {

  /** The CPU flags that give native bf16 matrix products. */
  static final List<String> CPU_FLAGS = List.of("amx_bf16", "avx512_bf16");

  /** The training device's support: the first CUDA GPU if there is one, else the CPU. */
  public static Bf16Support detect() {
    return cuda().orElseGet(() -> cpu(Path.of("/proc/cpuinfo")));
  }

  private static Optional<Bf16Support> cuda() {
    try {
      if (!CudaUtils.hasCuda() || CudaUtils.getGpuCount() == 0) {
        return Optional.empty();
      }
      String capability = CudaUtils.getComputeCapability(0);
      boolean ampere = capability != null && Integer.parseInt(capability.replace(".", "").substring(0, 1)) >= 8;
      return Optional.of(new Bf16Support(ampere, "CUDA GPU 0", "compute capability " + capability
          + (ampere ? " (8.0 or newer)" : ", older than 8.0 (Ampere)")));
    } catch (RuntimeException | LinkageError e) {
      return Optional.empty();
    }
  }

  /** From the {@code flags} line of a {@code /proc/cpuinfo}; a CPU whose flags cannot be read is taken as without. */
  static Bf16Support cpu(Path cpuinfo) {
    List<String> flags;
    try (var lines = Files.lines(cpuinfo)) {
      flags = lines.filter(line -> line.startsWith("flags")).findFirst()
          .map(line -> Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split("\\s+"))).orElse(List.of());
    } catch (IOException | RuntimeException e) {
      return new Bf16Support(false, "the CPU", "its flags cannot be read (" + cpuinfo + ")");
    }
    List<String> found = CPU_FLAGS.stream().filter(flags::contains).toList();
    return found.isEmpty()
        ? new Bf16Support(false, "the CPU", "it has neither " + String.join(" nor ", CPU_FLAGS))
        : new Bf16Support(true, "the CPU", "it has " + String.join(" and ", found));
  }

  /** The precision a run computes in for the setting {@code choice}, with a line that says which and why. */
  public Choice choose(CoreSettings.Precision choice) {
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
