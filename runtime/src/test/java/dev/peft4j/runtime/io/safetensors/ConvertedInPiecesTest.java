package dev.peft4j.runtime.io.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.runtime.nn.Precision;
import dev.peft4j.runtime.nn.TorchOps;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tensor larger than {@link SafetensorsFile#CONVERTED_PIECE_VALUES} is converted a piece at a time (the last piece
 * shorter): its values and shape are those of converting it whole.
 */
class ConvertedInPiecesTest {

  @TempDir
  Path dir;

  /** Two pieces and five values more, in rows of 7 that straddle the pieces' bounds. */
  private static final int ROWS = (int) ((2 * SafetensorsFile.CONVERTED_PIECE_VALUES + 5 + 6) / 7);

  private static float[] values() {
    float[] values = new float[ROWS * 7];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (Math.sin(i * 0.37) * Math.scalb(1.0, i % 41 - 20));
    }
    return values;
  }

  @Test
  void aBf16TensorReadInPiecesHoldsTheValuesOfItsFile() {
    float[] values = values();
    Path file = dir.resolve("bf16.safetensors");
    try (NDManager manager = NDManager.newBaseManager()) {
      SafetensorsWriter.write(file, Map.of("w", manager.create(values, new Shape(ROWS, 7))), Map.of(), "BF16");
      try (SafetensorsFile opened = SafetensorsFile.open(file)) {
        float[] stored = opened.readFloats("w"); // decoded in Java, bit pattern by bit pattern
        NDArray asBf16 = opened.read("w", manager, Precision.BF16);
        NDArray asFp32 = opened.read("w", manager, Precision.FP32);

        assertThat(TorchOps.isBf16(asBf16)).isTrue();
        assertThat(asBf16.getShape()).isEqualTo(new Shape(ROWS, 7));
        assertThat(TorchOps.get().toFloat32(asBf16).toFloatArray()).containsExactly(stored);
        assertThat(asFp32.toFloatArray()).containsExactly(stored);
        assertThat(stored).isNotEqualTo(values); // rounded to bf16: the file is not float32 in disguise
      }
    }
  }

  @Test
  void aFloat32TensorReadAsBf16InPiecesEqualsItsWholeCast() {
    float[] values = values();
    Path file = dir.resolve("f32.safetensors");
    try (NDManager manager = NDManager.newBaseManager()) {
      SafetensorsWriter.write(file, Map.of("w", manager.create(values, new Shape(ROWS, 7))), Map.of());
      try (SafetensorsFile opened = SafetensorsFile.open(file)) {
        NDArray inPieces = opened.read("w", manager, Precision.BF16);
        NDArray castWhole = TorchOps.get().toBf16(manager.create(values, new Shape(ROWS, 7)));

        assertThat(inPieces.getShape()).isEqualTo(new Shape(ROWS, 7));
        assertThat(TorchOps.get().toFloat32(inPieces).toFloatArray())
            .containsExactly(TorchOps.get().toFloat32(castWhole).toFloatArray());
      }
    }
  }
}
