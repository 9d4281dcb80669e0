package dev.peft4j.runtime.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFoldersTest {

  @TempDir
  Path dir;

  @Test
  void failure6_staleTemporaryFoldersAreRemovedAndASetAsideFolderIsPutBack() throws IOException {
    Files.createDirectories(dir.resolve(".step-000004.tmp-123-456"));
    Files.writeString(dir.resolve(".step-000004.tmp-123-456/trainable.safetensors"), "half written");
    Files.createDirectories(dir.resolve(".model.old-789"));
    Files.writeString(dir.resolve(".model.old-789/model.safetensors"), "the previous model");
    Files.createDirectories(dir.resolve("step-000002"));
    Files.createDirectories(dir.resolve(".adapter.old-1"));
    Files.createDirectories(dir.resolve("adapter"));
    Files.createDirectories(dir.resolve(".not-ours"));

    assertThat(AtomicFolders.cleanStale(dir)).containsExactlyInAnyOrder(".step-000004.tmp-123-456",
        ".model.old-789 (put back as model)", ".adapter.old-1");

    assertThat(dir.resolve("model/model.safetensors")).hasContent("the previous model");
    assertThat(dir.resolve(".step-000004.tmp-123-456")).doesNotExist();
    assertThat(dir.resolve(".adapter.old-1")).doesNotExist();
    assertThat(dir.resolve("step-000002")).exists();
    assertThat(dir.resolve(".not-ours")).exists();
  }
}
