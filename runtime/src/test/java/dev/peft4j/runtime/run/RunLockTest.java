package dev.peft4j.runtime.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peft4j.runtime.train.TrainingException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunLockTest {

  @TempDir
  Path dir;

  @Test
  void failure3_oneRunAtATimeInAFolderAndTheLockIsFreedOnClose() throws Exception {
    try (RunLock first = RunLock.acquire(dir)) {
      assertThat(Files.readString(first.file())).startsWith("pid " + ProcessHandle.current().pid() + ", started ");

      assertThatThrownBy(() -> RunLock.acquire(dir)).isInstanceOf(TrainingException.class)
          .hasMessageContaining("is in use by another run (pid " + ProcessHandle.current().pid() + ", started ")
          .hasMessageContaining("choose another output.dir");
      // The refused attempt closed its own channel: the first run still holds the lock.
      assertThatThrownBy(() -> RunLock.acquire(dir)).isInstanceOf(TrainingException.class);
    }
    try (RunLock again = RunLock.acquire(dir)) {
      assertThat(again.file()).exists();
    }
  }
}
