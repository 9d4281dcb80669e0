package dev.peft4j.method.badam;

/** Seeds for BAdam's random choices, derived from the run's seed so that runs repeat. */
final class Seeds {

  /** Random block orders of layer mode. */
  static final long BLOCK_ORDER = 0x6261646d626c6b73L;
  /** Scattered masks of ratio mode. */
  static final long SCATTER = 0x6261646d73637472L;

  private Seeds() {}

  /** A seed for {@code purpose} and {@code value} from the run's seed (SplitMix64's finalizer, applied twice). */
  static long derive(long runSeed, long purpose, long value) {
    return mix(mix(runSeed ^ purpose) + value);
  }

  static long mix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
