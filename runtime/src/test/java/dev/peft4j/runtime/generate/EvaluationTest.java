package dev.peft4j.runtime.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.peft4j.runtime.config.CoreSettings.DataFormat;
import dev.peft4j.runtime.model.CausalLm;
import dev.peft4j.runtime.model.ModelFiles;
import dev.peft4j.runtime.testing.ExampleModel;
import dev.peft4j.runtime.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Exact match in batches: the answers and their order do not depend on the batch size. */
class EvaluationTest {

  private static final Path EVAL = Path.of("..", "examples", "data", "eval.jsonl");

  private final NDManager manager = Engine.getEngine("PyTorch").newBaseManager();
  private final Path folder = ExampleModel.ensure();
  private final Tokenizer tokenizer = Tokenizer.load(folder);
  private final CausalLm model = ModelFiles.load(folder, manager);

  @AfterEach
  void close() {
    tokenizer.close();
    manager.close();
  }

  @Test
  void batchesAnswerAsOnePromptAtATimeInTheDataOrder() {
    List<int[]> progress = new ArrayList<>();
    Evaluation.Answers one = Evaluation.exactMatch(model, tokenizer, manager, EVAL, DataFormat.ALPACA, 7, 4, 1,
        (done, total) -> {});
    Evaluation.Answers batched = Evaluation.exactMatch(model, tokenizer, manager, EVAL, DataFormat.ALPACA, 7, 4, 3,
        (done, total) -> progress.add(new int[] {done, total}));

    assertThat(batched.predicted()).isEqualTo(one.predicted());
    assertThat(batched.prompts()).isEqualTo(one.prompts()).hasSize(7).startsWith("What is 68 + 93?");
    assertThat(batched.references()).startsWith("161", "103");
    assertThat(batched.score()).isEqualTo(one.score());
    assertThat(progress).containsExactly(new int[] {3, 7}, new int[] {6, 7}, new int[] {7, 7});
  }

  @Test
  void aBatchSizeBelowOneIsRefused() {
    assertThatThrownBy(() -> Evaluation.exactMatch(model, tokenizer, manager, EVAL, DataFormat.ALPACA, 7, 4, 0,
        (done, total) -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("batch size must be at least 1, not 0");
  }
}
