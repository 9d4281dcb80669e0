package dev.peft4j.runtime.io;

import java.io.IOException;
import java.io.UncheckedIOException;
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
    try {
      Files.createDirectories(parent);
      Files.createDirectory(temporary);
      writer.write(temporary);
      Path old = null;
      if (Files.exists(target)) {
        old = parent.resolve("." + name + ".old-" + System.nanoTime());
        move(target, old);
      }
      move(temporary, target);
      if (old != null) {
        delete(old);
      }
    } catch (IOException e) {
      delete(temporary);
      throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      delete(temporary);
      throw e;
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
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
      throw new UncheckedIOException("cannot delete " + folder + ": " + e.getMessage(), e);
    }
  }
}
