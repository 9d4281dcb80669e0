package dev.peft4j.runtime.io;

import dev.peft4j.api.Peft4jException;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Writes a folder whole or not at all: its files go into a temporary sibling, which is renamed into
 * place when complete. A folder that already exists is replaced only after the new one is complete.
 */
public final class AtomicFolders {

  /** Fills a folder. */
  @FunctionalInterface
  public interface Writer {
    void write(Path folder) throws IOException;
  }

  private AtomicFolders() {}

  public static void write(Path target, Writer writer) {
    Path parent = target.toAbsolutePath().getParent();
    String name = target.getFileName().toString();
    Path temporary = parent.resolve("." + name + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    Path old = null;
    try {
      Files.createDirectories(parent);
      Files.createDirectory(temporary);
      writer.write(temporary);
      if (Files.exists(target)) {
        old = parent.resolve("." + name + ".old-" + System.nanoTime());
        move(target, old);
      }
      move(temporary, target);
      syncFolder(parent);
      if (old != null) {
        delete(old);
      }
    } catch (IOException | RuntimeException e) {
      restore(old, target);
      delete(temporary);
      if (e instanceof IOException io) {
        throw new Peft4jException("cannot write " + target + ": " + io + ". Check the free disk space and the "
            + "permissions of " + parent + (old == null ? "" : "; the previous " + name + " was kept"), io);
      }
      throw (RuntimeException) e;
    }
  }

  /** Puts the previous folder back when the new one could not take its place. */
  private static void restore(Path old, Path target) {
    if (old != null && Files.exists(old) && !Files.exists(target)) {
      try {
        move(old, target);
      } catch (IOException e) {
        throw new Peft4jException("cannot put " + target + " back from " + old + ": " + e + "; it is still there", e);
      }
    }
  }

  /** Makes a rename durable (on file systems that can sync a folder; others ignore it). */
  private static void syncFolder(Path folder) {
    try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(folder, java.nio.file.StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Not every file system lets a folder be opened for syncing; the rename itself is still atomic.
    }
  }

  /** Writes a small text file and syncs it to the disk, so that a folder renamed afterwards holds it whole. */
  public static void writeDurably(Path file, String text) throws IOException {
    try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
        java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      channel.force(true);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
  }

  /** {@code .NAME.tmp-PID-NANOS} and {@code .NAME.old-NANOS}, the names {@link #write} gives its temporary folders. */
  private static final java.util.regex.Pattern TEMPORARY = java.util.regex.Pattern.compile("\\.(.+)\\.(tmp-\\d+|old)-\\d+");

  /**
   * Removes the temporary folders that an interrupted {@link #write} left in {@code parent} (a killed process
   * cannot clean up; at 7B each is gigabytes). A previous folder set aside ({@code .old-}) whose replacement never
   * took its place is put back instead. Call it only while no other process writes {@code parent} (the run holds
   * the output folder's lock).
   *
   * @return the names removed or put back, for the user
   */
  public static java.util.List<String> cleanStale(Path parent) {
    java.util.List<String> cleaned = new java.util.ArrayList<>();
    if (!Files.isDirectory(parent)) {
      return cleaned;
    }
    try (java.util.stream.Stream<Path> list = Files.list(parent)) {
      for (Path path : list.sorted().toList()) {
        java.util.regex.Matcher m = TEMPORARY.matcher(path.getFileName().toString());
        if (!m.matches() || !Files.isDirectory(path)) {
          continue;
        }
        Path target = parent.resolve(m.group(1));
        if (m.group(2).equals("old") && !Files.exists(target)) {
          move(path, target);
          cleaned.add(path.getFileName() + " (put back as " + target.getFileName() + ")");
        } else {
          delete(path);
          cleaned.add(path.getFileName().toString());
        }
      }
    } catch (IOException e) {
      throw new Peft4jException("cannot clean the temporary folders of " + parent + ": " + e + ". Check its permissions", e);
    }
    return cleaned;
  }

  /** Deletes a folder and everything in it, if it exists. */
  public static void delete(Path folder) {
    if (!Files.exists(folder)) {
      return;
    }
    try {
      Files.walkFileTree(folder, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
          Files.delete(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new Peft4jException("cannot delete " + folder + ": " + e + ". Check its permissions", e);
    }
  }
}
