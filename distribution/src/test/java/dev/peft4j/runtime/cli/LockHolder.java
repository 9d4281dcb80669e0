package dev.peft4j.runtime.cli;

import dev.peft4j.runtime.io.AtomicFolders;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Another process that holds an output folder's lock as a run does (an OS lock on {@code run.lock}, its pid and
 * start time written in it): a JVM running a one-file program, so that the test sees a lock of another process,
 * which is what the OS lock is about (a second lock inside one JVM is another matter).
 */
final class LockHolder {

  private static final String PROGRAM = """
      import java.nio.*; import java.nio.channels.*; import java.nio.file.*;
      public class Holder {
        public static void main(String[] args) throws Exception {
          Path file = Path.of(args[0]);
          Files.createDirectories(file.getParent());
          FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock lock = channel.lock();
          channel.truncate(0);
          channel.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + ", started "
              + java.time.Instant.now() + "\\n").getBytes()), 0);
          System.out.println("locked");
          System.out.flush();
          Thread.sleep(600_000);
        }
      }
      """;

  private LockHolder() {}

  /** Starts the holder and returns once it holds the lock of {@code outputDir}. */
  static Process start(Path outputDir) throws IOException {
    Path folder = Files.createTempDirectory("lock-holder");
    Path source = folder.resolve("Holder.java");
    Files.writeString(source, PROGRAM);
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process = new ProcessBuilder(java.toString(), source.toString(), outputDir.resolve("run.lock").toString())
        .redirectErrorStream(true).start();
    BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line;
    try {
      line = lines.readLine();
    } finally {
      // the source launcher has compiled the program in memory by the time it prints
      AtomicFolders.delete(folder);
    }
    if (!"locked".equals(line)) {
      process.destroyForcibly();
      throw new IOException("the lock holder did not start: " + line);
    }
    return process;
  }
}
