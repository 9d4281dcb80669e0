package dev.peft4j.runtime.io.safetensors;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * Unmaps a file's memory map as soon as its bytes are copied out. Java unmaps a {@code MappedByteBuffer} only when
 * the garbage collector finds it unreachable, and a run that reads its weights makes little garbage, so the maps of a
 * whole model stayed: every page of them read counts in the process's resident memory (measured, bench/plan-check:
 * about the model file's size, 89 MiB of the {@code small} model, on top of the weights themselves). {@code
 * sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported) unmaps at once; where it cannot be found the maps are left
 * to the collector, as before.
 *
 * <p>Only a buffer that no array still reads may be unmapped: the reader calls this after the arrays that viewed the
 * map are closed, keeping only copies.
 */
final class Unmapping {

  private static final MethodHandle INVOKE_CLEANER = invokeCleaner();

  private Unmapping() {}

  private static MethodHandle invokeCleaner() {
    try {
      Class<?> unsafe = Class.forName("sun.misc.Unsafe");
      Field field = unsafe.getDeclaredField("theUnsafe");
      field.setAccessible(true);
      return MethodHandles.lookup()
          .findVirtual(unsafe, "invokeCleaner", MethodType.methodType(void.class, ByteBuffer.class))
          .bindTo(field.get(null));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /** Whether maps are unmapped at once on this JVM. */
  static boolean available() {
    return INVOKE_CLEANER != null;
  }

  /** Unmaps {@code map} (a buffer {@code FileChannel.map} returned, not a slice or duplicate of it). */
  static void unmap(ByteBuffer map) {
    if (INVOKE_CLEANER == null) {
      return;
    }
    try {
      INVOKE_CLEANER.invokeExact(map);
    } catch (RuntimeException e) { // a slice or a duplicate: left to the collector
    } catch (Error e) {
      throw e;
    } catch (Throwable e) { // invokeCleaner throws nothing checked
      throw new IllegalStateException(e);
    }
  }
}
