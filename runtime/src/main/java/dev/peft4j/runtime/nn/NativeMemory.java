package dev.peft4j.runtime.nn;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How glibc's allocator treats the memory libtorch frees. libtorch allocates every array with {@code posix_memalign}
 * and frees it when the array closes; glibc gives free memory at the top of a heap back to the kernel once it exceeds
 * the trim threshold, and the next step touches fresh pages, each a page fault and a page of zeros. Measured
 * (bench/side-by-side, {@code minor_faults_per_step}): 5,000–6,000 minor faults a step of the {@code small} model in
 * the JVM against 78 for the same step in PyTorch's Python process; the same environment set by hand ({@code
 * MALLOC_TRIM_THRESHOLD_}, {@code MALLOC_MMAP_THRESHOLD_}) brought the JVM's to ~400, where {@code MALLOC_ARENA_MAX=2}
 * did not (2,847).
 *
 * <p>{@link #keepFreedMemory} sets the trim threshold out of reach, so freed memory stays with the process for the next
 * step, and the mmap threshold to its maximum, 32 MiB, where glibc's dynamic threshold would end (setting the one
 * disables the growth of the other). Arrays above 32 MiB are still mapped and unmapped each time (the loss keeps its
 * chunks below that). On a C library other than glibc (or when {@code mallopt} cannot be found) nothing is changed.
 * Those environment variables, when a user sets them, win.
 */
public final class NativeMemory {

  private static final Logger LOG = LoggerFactory.getLogger(NativeMemory.class);

  /** glibc's {@code M_TRIM_THRESHOLD} and {@code M_MMAP_THRESHOLD} ({@code malloc.h}). */
  private static final int M_TRIM_THRESHOLD = -1;
  private static final int M_MMAP_THRESHOLD = -3;

  /** The largest mmap threshold glibc accepts on 64-bit: {@code HEAP_MAX_SIZE / 2}. */
  public static final int MMAP_THRESHOLD = 32 << 20;

  /** Far beyond any heap of an arena (64 MiB) and the main arena's top in a run: never trimmed. */
  static final int TRIM_THRESHOLD = Integer.MAX_VALUE;

  /** What the first call found; null before it. */
  private static Boolean taken;

  private NativeMemory() {}

  /**
   * Keeps memory libtorch frees for reuse (see the class comment); once a process, before the first arrays.
   *
   * @return whether glibc took both settings
   */
  public static synchronized boolean keepFreedMemory() {
    if (taken == null) {
      taken = setThresholds();
    }
    return taken;
  }

  /**
   * Gives the memory freed so far back to the kernel ({@code malloc_trim(0)}: free pages anywhere in glibc's heaps,
   * not only at their tops); called once the model is loaded. What the load freed is otherwise kept for good, since
   * {@link #keepFreedMemory} trims nothing, and a training step reuses little of it: its chunks are the sizes of the
   * load's pieces. Measured (bench/README.md, "The planner against measured peaks"): the {@code small} model on a
   * 4-bit base entered training at 366–417 MiB without it and 224–250 with it, and its runs peaked 14–91 MiB lower.
   *
   * @return whether glibc released any memory (false, too, off glibc)
   */
  public static boolean releaseFreed() {
    if (!onLinux()) {
      return false;
    }
    try {
      return NativeLibrary.getInstance("c").getFunction("malloc_trim").invokeInt(new Object[] {0L}) == 1;
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      return false;
    }
  }

  private static boolean setThresholds() {
    if (!onLinux()) {
      return false;
    }
    try {
      Function mallopt = NativeLibrary.getInstance("c").getFunction("mallopt");
      boolean trim = System.getenv("MALLOC_TRIM_THRESHOLD_") != null
          || mallopt.invokeInt(new Object[] {M_TRIM_THRESHOLD, TRIM_THRESHOLD}) == 1;
      boolean mmap = System.getenv("MALLOC_MMAP_THRESHOLD_") != null
          || mallopt.invokeInt(new Object[] {M_MMAP_THRESHOLD, MMAP_THRESHOLD}) == 1;
      return trim && mmap;
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      LOG.info("mallopt is not available ({}): freed native memory is returned to the system as the C library decides",
          e.toString());
      return false;
    }
  }

  private static boolean onLinux() {
    return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
  }
}
