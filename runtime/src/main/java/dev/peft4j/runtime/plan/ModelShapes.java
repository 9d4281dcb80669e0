package dev.peft4j.runtime.plan;

import dev.peft4j.api.plan.LinearShape;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.api.plan.ParameterShape;
import dev.peft4j.runtime.model.ModelConfigs;
import dev.peft4j.runtime.model.llama.LlamaConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * The parameters of a Llama-family model as {@code LlamaForCausalLM} builds them — same names, shapes
 * and order — from its config alone: no array is allocated.
 */
public final class ModelShapes {

  private ModelShapes() {}

  /**
   * @param quantized whether the decoder layers' linear weights are stored as NF4 ({@code model.quantization
   *     = nf4}); their shapes stay {@code [out, in]}, as PEFT counts a 4-bit weight
   */
  public static ModelShape of(LlamaConfig c, boolean quantized) {
    return of(c, quantized, 4);
  }

  /** @param computeBytes 4 for a run in fp32, 2 in bf16 ({@link ModelShape#computeBytes}) */
  public static ModelShape of(LlamaConfig c, boolean quantized, int computeBytes) {
    List<ParameterShape> parameters = new ArrayList<>();
    List<LinearShape> linears = new ArrayList<>();
    long hidden = c.hiddenSize();
    long queries = (long) c.numHeads() * c.headDim();
    long keys = (long) c.numKvHeads() * c.headDim();
    long intermediate = c.intermediateSize();
    parameters.add(ParameterShape.frozen("model.embed_tokens.weight", OptionalInt.empty(), c.vocabSize(), hidden));
    for (int i = 0; i < c.numLayers(); i++) {
      String prefix = "model.layers." + i + ".";
      OptionalInt layer = OptionalInt.of(i);
      linear(parameters, linears, prefix + "self_attn.q_proj", queries, hidden, c.attentionBias(), layer, quantized);
      linear(parameters, linears, prefix + "self_attn.k_proj", keys, hidden, c.attentionBias(), layer, quantized);
      linear(parameters, linears, prefix + "self_attn.v_proj", keys, hidden, c.attentionBias(), layer, quantized);
      linear(parameters, linears, prefix + "self_attn.o_proj", hidden, queries, c.outputProjectionBias(), layer, quantized);
      linear(parameters, linears, prefix + "mlp.gate_proj", intermediate, hidden, c.mlpBias(), layer, quantized);
      linear(parameters, linears, prefix + "mlp.up_proj", intermediate, hidden, c.mlpBias(), layer, quantized);
      linear(parameters, linears, prefix + "mlp.down_proj", hidden, intermediate, c.mlpBias(), layer, quantized);
      parameters.add(ParameterShape.frozen(prefix + "input_layernorm.weight", layer, hidden));
      parameters.add(ParameterShape.frozen(prefix + "post_attention_layernorm.weight", layer, hidden));
    }
    parameters.add(ParameterShape.frozen("model.norm.weight", OptionalInt.empty(), hidden));
    if (!c.tieWordEmbeddings()) {
      linear(parameters, linears, "lm_head", c.vocabSize(), hidden, false, OptionalInt.empty(), false);
    }
    return new ModelShape(ModelConfigs.info(c.modelType(), OptionalInt.of(c.numLayers()), c.tieWordEmbeddings()),
        parameters, linears, computeBytes);
  }

  private static void linear(List<ParameterShape> parameters, List<LinearShape> linears, String name, long out, long in,
      boolean bias, OptionalInt layer, boolean quantized) {
    parameters.add(ParameterShape.frozen(name + ".weight", layer, out, in));
    if (bias) {
      parameters.add(ParameterShape.frozen(name + ".bias", layer, out));
    }
    linears.add(new LinearShape(name, in, out, bias, layer, quantized));
  }
}
