package dev.peft4j.runtime.model;

/**
 * The sizes every decoder-only causal language model has, read from its Hugging Face {@code config.json}: what the
 * runtime, the planner and the methods need without knowing the model's family. A family's own config record
 * implements it and adds what only that family has.
 */
public interface ModelConfig {

  /** {@code model_type} from config.json ({@code llama}, {@code qwen2}, …): which family builds the model. */
  String modelType();

  int hiddenSize();

  int intermediateSize();

  /** {@code num_hidden_layers}: the decoder layers. */
  int numLayers();

  int numHeads();

  int numKvHeads();

  int headDim();

  int vocabSize();

  int maxPositionEmbeddings();

  boolean tieWordEmbeddings();

  /** What sets the model apart within its family, for {@code peft4j plan}'s model line ({@code ", q/k/v biases"}), or "". */
  default String features() {
    return "";
  }

  /** The config as Hugging Face writes it: the original keys, the sizes as this record says, weights of {@code torchDtype}. */
  String toJson(String torchDtype);

  /** {@link #toJson(String)} of an fp32 model. */
  default String toJson() {
    return toJson("float32");
  }
}
