package dev.peft4j.runtime.run;

import dev.peft4j.runtime.train.TrainingException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Objects;

/**
 * One run per output folder: {@code output.dir/run.lock} held with an OS file lock for as long as the run lasts.
 * The operating system releases the lock when the process ends, however it ends (kill -9 included), so a lock
 * file left behind is never stale: only a live process can hold its lock. The file names the holder (pid, start
 * time) for the message a second run gets; it is never deleted, since a run that deleted it could race another
 * that has just opened it.
 */
public final class RunLock implements AutoCloseable {

  public static final String FILE = "run.lock";

  /**
   * The lock files this process holds, with what they say. An OS file lock belongs to the process, and on Linux
   * closing any channel of the file releases it: a second run in the same JVM must be refused before it opens the
   * file, or its refusal would free the first run's lock. The one process-wide table, as the OS's is.
   */
  private static final java.util.concurrent.ConcurrentHashMap<Path, String> HELD = new java.util.concurrent.ConcurrentHashMap<>();

  private final Path file;
  private final Path key;
  private final FileChannel channel;
  private final FileLock lock;

  private RunLock(Path file, Path key, FileChannel channel, FileLock lock) {
    this.file = file;
    this.key = key;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Locks {@code outputDir} for this process, creating it if needed.
   *
   * @throws TrainingException when another run holds it, naming that run's pid and start time
   */
  public static RunLock acquire(Path outputDir) {
    Objects.requireNonNull(outputDir, "outputDir is null");
    Path file = outputDir.resolve(FILE);
    FileChannel channel = null;
    Path key = null;
    try {
      Files.createDirectories(outputDir);
      key = outputDir.toRealPath().resolve(FILE);
      String me = "pid " + ProcessHandle.current().pid() + ", started " + Instant.now();
      String held = HELD.putIfAbsent(key, me);
      if (held != null) {
        key = null;
        throw inUse(outputDir, held);
      }
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null; // held through another path to the same file: still this process's own run
      }
      if (lock == null) {
        throw inUse(outputDir, holder(channel));
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.UTF_8)), 0);
      channel.force(false);
      return new RunLock(file, key, channel, lock);
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      if (key != null) {
        HELD.remove(key);
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new TrainingException("cannot lock " + file + " (" + e + "): check that " + outputDir + " can be written"
          + " and its file system supports file locks", e);
    }
  }

  private static TrainingException inUse(Path outputDir, String holder) {
    return new TrainingException("output.dir " + outputDir + " is in use by another run (" + holder + "): one run at a "
        + "time writes a folder. Wait for that run to end (or stop it), or choose another output.dir");
  }

  /** What the lock file says of its holder: {@code pid 123, started 2026-12-02T04:42:11Z}. */
  private static String holder(FileChannel channel) throws IOException {
    ByteBuffer bytes = ByteBuffer.allocate(256);
    channel.read(bytes, 0);
    String text = new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8).strip();
    return text.isEmpty() ? "it has not written its pid yet" : text;
  }

  public Path file() {
    return file;
  }

  @Override
  public void close() {
    try {
      lock.release();
    } catch (IOException e) {
      // The lock goes with the channel, closed next, and with the process at the latest.
    }
    closeQuietly(channel);
    HELD.remove(key);
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // nothing left to release
      }
    }
  }
}
