package dev.peft4j.runtime.plan;

import dev.peft4j.api.plan.LinearShape;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.api.plan.OptimizerCost;
import dev.peft4j.api.plan.ParameterShape;
import dev.peft4j.runtime.model.llama.LlamaConfig;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Peak memory of {@code peft4j train} as this runtime computes (fp32 on the CPU), from shapes alone.
 *
 * <p>What the runtime keeps, and therefore what is priced: each micro-batch runs inside an {@code
 * NDScope}, which closes each array made in it only when its backward pass is done. So every output of
 * every operation of the forward pass stays in memory until then — not just what autograd saves — but
 * only for one micro-batch of an accumulation window at a time; the optimizer update's temporaries are
 * freed parameter by parameter. The peak:
 *
 * <pre>
 * weights + gradients + optimizer state + activations of one micro-batch
 *         + max(backward transients, one parameter's update temporaries) + Java heap + the runtime itself
 * </pre>
 *
 * <p>Java heap: loading reads each tensor into a Java array before copying it into libtorch (and a
 * 4-bit base quantizes from Java arrays again), so as much garbage as the weights in fp32 passes
 * through the heap, which grows with it up to the JVM's maximum heap and keeps its pages.
 *
 * <p>Activations of one micro-batch of b sequences of s tokens (T = b·s; hidden h, intermediate i,
 * H query and K key/value heads of size d, vocabulary V), in values: the attention mask b·s² and the
 * embeddings T·h; per layer two RMSNorms (3·T·h + 3·T each: x², the normalised x, its scaled copy),
 * the q/k/v projections (doubled with biases), rotary embeddings (4.5 × q's and k's size), the
 * repeated key/value heads when K &lt; H (2·T·H·d), the attention scores, scaled, masked and
 * soft-maxed (4·b·H·s²), the attended values and their merged copy (2·T·H·d), o_proj, two residual
 * sums, and the SwiGLU MLP (5·T·i + T·h); the final norm; the logits and their log-softmax (2·T·V).
 * Methods add their own ({@code MethodPlan.activationValuesPerToken} and {@code …PerPass}); a 4-bit
 * base keeps each dequantized fp32 weight until the step ends.
 *
 * <p>Backward transients: the largest of the gradients around the logits (3·T·V), around the
 * attention scores (3·b·H·s² + 2·T·h) and in the MLP (3·T·i), plus the largest parameter's gradient
 * (accumulated into the existing one). Update temporaries: AdamW makes 8 arrays of a parameter's
 * size (kept until the step ends), clipping one per gradient; methods state their own.
 */
public final class MemoryModel {

  /** fp32. */
  static final long VALUE_BYTES = 4;

  /**
   * Peak RSS of {@code peft4j train} around a model of negligible size: the JVM, libtorch, the tokenizer,
   * the data pipeline and the loss plot drawn at the end. Measured on this machine: the {@code tiny}
   * model, one step of 1 × 8 tokens, less what this model prices for it (see bench/README.md, "The
   * planner against measured peaks").
   */
  public static final long RUNTIME_BYTES = 400L << 20;

  private MemoryModel() {}

  /**
   * @param model the model after every method's plan (adapters added, trainable flags set)
   * @param costs what optimizer hooks stated per parameter; other trainable parameters cost AdamW's
   * @param methodPerToken activation values the methods keep per token of a micro-batch
   * @param methodPerPass activation values the methods keep per micro-batch
   * @param maxHeap the JVM's maximum heap ({@code Runtime.maxMemory()}: the launcher starts plan and train alike)
   */
  public static MemoryEstimate estimate(LlamaConfig config, ModelShape model, Map<String, OptimizerCost> costs,
      long methodPerToken, long methodPerPass, Workload work, long maxHeap) {
    Set<String> quantized = quantizedWeights(model);
    long dequantized = 0;
    for (LinearShape linear : model.linearLayers()) {
      if (linear.quantized()) {
        dequantized += linear.inFeatures() * linear.outFeatures();
      }
    }
    long weights = 0;
    long gradients = 0;
    long state = 0;
    long scratch = 0;
    long largestGradient = 0;
    long javaArrays = dequantized * VALUE_BYTES;
    for (ParameterShape p : model.parameters()) {
      long n = p.size();
      weights += quantized.contains(p.name()) ? nf4Bytes(n) : n * VALUE_BYTES;
      javaArrays += n * VALUE_BYTES;
      if (!p.trainable()) {
        continue;
      }
      OptimizerCost cost = costs.getOrDefault(p.name(), adamW(n));
      gradients += cost.gradientValues() * VALUE_BYTES;
      state += cost.stateValues() * VALUE_BYTES;
      // the update's temporaries, or clipping's square of the gradient: the trainer frees both per parameter
      scratch = Math.max(scratch, Math.max(cost.scratchValues(), cost.gradientValues()) * VALUE_BYTES);
      largestGradient = Math.max(largestGradient, cost.gradientValues());
    }
    long perPass = baseActivations(config, work) + methodPerToken * work.tokens() + methodPerPass + dequantized;
    // The trainer frees each micro-batch's activations after its backward pass: accumulation costs one's.
    long activations = perPass * VALUE_BYTES;
    long backward = (backwardTransients(config, work) + largestGradient) * VALUE_BYTES;
    return new MemoryEstimate(weights, gradients, state, activations, Math.max(backward, scratch),
        Math.min(javaArrays, maxHeap), RUNTIME_BYTES);
  }

  /** The names of the weights stored in 4 bits. */
  static Set<String> quantizedWeights(ModelShape model) {
    Set<String> quantized = new HashSet<>();
    for (LinearShape linear : model.linearLayers()) {
      if (linear.quantized()) {
        quantized.add(linear.weightName());
      }
    }
    return quantized;
  }

  /** What the runtime's AdamW holds for a parameter of n values: its gradient, two moments, 8 temporaries. */
  static OptimizerCost adamW(long n) {
    return new OptimizerCost(n, 2 * n, 8 * n);
  }

  /** A 4-bit NF4 weight: two codes a byte and an fp32 absmax per block of 64. */
  static long nf4Bytes(long values) {
    return (values + 1) / 2 + VALUE_BYTES * ((values + 63) / 64);
  }

  /** Values the base model's forward pass keeps for one micro-batch (see the class comment). */
  static long baseActivations(LlamaConfig c, Workload work) {
    long b = work.batch();
    long s = work.length();
    long t = work.tokens();
    long h = c.hiddenSize();
    long i = c.intermediateSize();
    long queries = (long) c.numHeads() * c.headDim();
    long keys = (long) c.numKvHeads() * c.headDim();
    long v = c.vocabSize();
    long norm = 3 * t * h + 3 * t;
    long layer = 2 * norm
        + t * queries * (c.attentionBias() ? 2 : 1) + 2 * t * keys * (c.attentionBias() ? 2 : 1)
        + (9 * t * (queries + keys) + 1) / 2
        + (c.numKvHeads() < c.numHeads() ? 2 * t * queries : 0)
        + 4 * b * c.numHeads() * s * s
        + 2 * t * queries
        + t * h * (c.outputProjectionBias() ? 2 : 1)
        + 2 * t * h
        + 5 * t * i + t * h + (c.mlpBias() ? 2 * t * i + t * h : 0);
    return b * s * s + t * h + c.numLayers() * layer + norm + t * v + b * (s - 1) * v;
  }

  /** The largest set of gradients the backward pass holds at once, besides the parameters' (see the class comment). */
  static long backwardTransients(LlamaConfig c, Workload work) {
    long t = work.tokens();
    long s = work.length();
    long logits = 3 * t * c.vocabSize();
    long attention = 3L * work.batch() * c.numHeads() * s * s + 2 * t * c.hiddenSize();
    long mlp = 3 * t * c.intermediateSize();
    return Math.max(logits, Math.max(attention, mlp));
  }
}
