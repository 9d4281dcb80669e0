package dev.peft4j.runtime.io.safetensors;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The element types of the safetensors format, with their sizes in bits (F4 and F6 pack below a byte). */
enum Dtype {
  BOOL(8), U8(8), I8(8), F8_E5M2(8), F8_E4M3(8), F8_E8M0(8), F4(4), F6_E2M3(6), F6_E3M2(6),
  I16(16), U16(16), F16(16), BF16(16), I32(32), U32(32), F32(32), C64(64), F64(64), I64(64), U64(64);

  /** What {@link SafetensorsFile#read} turns into float32. */
  static final List<Dtype> READABLE = List.of(F32, F16, BF16, F64);

  /** What {@link SafetensorsWriter} writes. */
  static final List<Dtype> WRITABLE = List.of(F32, BF16, F16);

  final int bits;

  Dtype(int bits) {
    this.bits = bits;
  }

  static Optional<Dtype> of(String name) {
    return Arrays.stream(values()).filter(d -> d.name().equals(name)).findFirst();
  }

  static String names() {
    return String.join(", ", Arrays.stream(values()).map(Dtype::name).toList());
  }

  /** Bytes taken by {@code numel} elements, or -1 when they do not fill whole bytes or overflow. */
  long bytes(long numel) {
    try {
      long totalBits = Math.multiplyExact(numel, (long) bits);
      return totalBits % 8 == 0 ? totalBits / 8 : -1;
    } catch (ArithmeticException e) {
      return -1;
    }
  }
}
