package dev.peft4j.runtime.plan;

import dev.peft4j.api.plan.LinearShape;
import dev.peft4j.api.plan.ModelShape;
import dev.peft4j.api.plan.OptimizerCost;
import dev.peft4j.api.plan.ParameterShape;
import dev.peft4j.runtime.model.ModelConfig;
import dev.peft4j.runtime.model.ModelFamilies;
import dev.peft4j.runtime.model.ModelFamily;
import dev.peft4j.runtime.nn.NativeMemory;
import dev.peft4j.runtime.train.CausalLmLoss;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Peak memory of {@code peft4j train} as this runtime computes, from shapes alone.
 *
 * <p>What the runtime keeps, and therefore what is priced. The trainer runs each micro-batch stage by stage (the
 * embeddings, each decoder layer, the head: {@code StagedPass}) and closes each stage's arrays as soon as it
 * returns, so what stays until the backward pass is what libtorch's autograd saves, as in PyTorch, plus each stage's
 * output. The peak:
 *
 * <pre>
 * weights + gradients + optimizer state + activations of one micro-batch
 *         + max(backward transients, one parameter's update temporaries beyond the freed activations)
 *         + the runtime itself
 * </pre>
 *
 * <p>Weights: a frozen weight in the run's storage dtype (bf16: 2 bytes; NF4: two codes a byte and an fp32 scale per
 * 64, or with double quantization a byte per 64, an fp32 absmax per 64·256 and one fp32 offset a tensor), a
 * trainable one as an fp32 master (4 bytes) — but for a parameter an optimizer hook says holds neither gradient nor
 * state at the peak (BAdam's inactive blocks), which is stored frozen then ({@link #trains}).
 *
 * <p>Activations of one micro-batch: what autograd saves in each decoder layer, which the model's family prices
 * ({@link dev.peft4j.runtime.model.ModelFamily#layerActivations}: more when the layer's own weights train, since their
 * products then need their inputs), and each stage's output (c·T·h; c bytes a value, 4 in fp32 and 2 in bf16; T
 * tokens, hidden h). Only the layers from the lowest one that trains keep a graph; below it nothing is kept. In bf16
 * the casts of trainable fp32 masters to bf16 are saved too (2 bytes a value of every trainable linear weight), and a
 * 4-bit base keeps each layer's dequantized weight until its backward pass. Methods add their own ({@code
 * MethodPlan.activationValuesPerToken}, float32 values, and {@code …PerPass}). With gradient checkpointing the forward
 * pass keeps only each layer's input and the backward pass holds one layer's activations at a time, recomputed.
 *
 * <p>The loss runs the head on chunks of the counted positions (at most {@link CausalLmLoss#headValues} logits at a
 * time): a chunk's logits in c, their float32 copy and log-softmax, and the logits' gradient in float32 and c; in bf16
 * the float32 loss takes a chunk's logits in parts ({@link CausalLmLoss#chunkValues}) and the chunk's logit gradient
 * is assembled in c before one backward pass through the head.
 *
 * <p>Backward transients: the larger of a layer's gradients in flight (the gradient of its output and of its input,
 * c·T·h each, and three of the MLP's, c·T·i each) and the loss chunk's; plus the largest parameter's gradient
 * (added into the existing one). Update temporaries: AdamW makes 8 arrays of a parameter's size (freed parameter
 * by parameter), clipping one per gradient; methods state their own. The trainer updates once the micro-batches'
 * activations are freed, and glibc's heap hands the freed memory to the update, so only what the update needs
 * beyond the activations adds to the peak (measured on the {@code small} model in bf16: BAdam's block 0 holds 37 MiB
 * more than LoRA r 8 q/v in weights, gradients and Adam state, and its update's temporaries are 14 MiB more than its
 * backward transients, yet its run peaked 6 MiB above LoRA's; bench/README.md). A parameter stepped during the
 * backward pass ({@link #steppedDuringBackward}) is stepped with the activations of the stages below it still held:
 * its temporaries are priced in full.
 *
 * <p>Nothing of the model passes through the Java heap: weights are read from the mapped file straight into
 * libtorch's memory (a 4-bit base quantized there, a layer at a time as it is read) and written from it; the heap's
 * garbage is bounded by the launcher's young generation (at most 64 MiB: {@code bin/peft4j}), part of the runtime's
 * constant; what the load frees in libtorch is given back before training ({@code NativeMemory.releaseFreed}). The
 * runtime's row is that constant and what grows with the micro-batch beyond what is priced ({@link
 * #RETAINED_PER_TOKEN_AND_HIDDEN}).
 *
 * <p>A 4-bit base with gradient checkpointing dequantizes each layer's weights again in the backward pass and frees
 * them after it, a layer at a time; the weights below glibc's mmap threshold ({@code NativeMemory.MMAP_THRESHOLD})
 * come from its heap, where the gradients made in between keep the freed chunks from being reused: such runs hold
 * {@link #ALLOCATOR_RETENTION} of every recomputed layer's dequantized weights below that size. Measured on the
 * {@code small} model (bench/README.md): with every chunk of 1 MiB or more mapped ({@code MALLOC_MMAP_THRESHOLD_})
 * the checkpointed LoRA run on an NF4 base peaked 58 MiB under the same run on the fp32 base, as its weights and one
 * layer's dequantized weights account for, and 2 MiB under without that setting. The weights of a 7B model's layers
 * are above the threshold: they are mapped, and unmapped as they are freed.
 */
public final class MemoryModel {

  /** fp32: the dtype of gradients, optimizer state and what methods state in values. */
  static final long VALUE_BYTES = 4;

  /**
   * What the process holds beyond the activations autograd saves, as a share of them: the gradients of those
   * activations in flight during the backward pass, and memory the allocator keeps from one step for the next
   * (libtorch frees to glibc, which keeps freed blocks in per-thread arenas). Fitted, with {@link
   * #RETAINED_PER_TOKEN_AND_HIDDEN}, to bench/plan-check's measured peaks (2026-12-03, an Intel Xeon, 2
   * cores; bench/README.md, "The planner against measured peaks"); it still fits them with the load's freed memory
   * given back (2026-12-06). Those are peaks of 4-step runs: a run's peak grows over its first tens of steps, and
   * at 50 steps the plans were 1 to 23 % under (bench/README.md, "Four steps are not the steady state"); not
   * refitted yet.
   */
  static final double ALLOCATOR_RETENTION = 0.5;

  /**
   * What the process holds beyond what is priced that grows with a micro-batch: float32 values per token and hidden
   * unit (libtorch's and its compute libraries' buffers, the allocator's retention beyond {@link
   * #ALLOCATOR_RETENTION}). Fitted, not derived: the {@code small} model's runs at 512 and 1,024 tokens a micro-batch
   * hold about 55 and 110 MiB more than {@link #RUNTIME_BYTES} and the priced parts, runs of 8 tokens none; of the
   * forms tried (per token × hidden, × hidden × layers), this one also gives TinyLlama-1.1B's measured peaks
   * (bench/side-by-side, 512 tokens) within 2 %.
   */
  static final long RETAINED_PER_TOKEN_AND_HIDDEN = 56;

  /**
   * Peak RSS of {@code peft4j train} around a model of negligible size: the JVM (its young generation included),
   * libtorch, the tokenizer, the data pipeline and the loss plot drawn at the end. Measured: LoRA runs of 1 × 8
   * tokens on five models (0.77 to 47 M parameters, hidden 128 to 1024, 2 to 8 layers) peak at 259 to 267 MiB beyond
   * their weights, whatever the model's size.
   */
  public static final long RUNTIME_BYTES = 264L << 20;

  private MemoryModel() {}

  /**
   * @param model the model after every method's plan (adapters added, trainable flags set)
   * @param costs what optimizer hooks stated per parameter; other trainable parameters cost AdamW's
   * @param methodPerToken activation values the methods keep per token of a micro-batch
   * @param methodPerPass activation values the methods keep per micro-batch
   * @param doubleQuantized whether the 4-bit weights' block scales are double-quantized
   */
  public static MemoryEstimate estimate(ModelConfig config, ModelShape model, Map<String, OptimizerCost> costs,
      long methodPerToken, long methodPerPass, Workload work, boolean doubleQuantized) {
    long c = work.precision().storedBytes();
    Set<String> quantized = quantizedWeights(model);
    int layers = config.numLayers();
    int lowest = lowestTrainingLayer(model, costs, layers);
    int kept = layers - lowest;
    long weights = 0;
    long gradients = 0;
    long state = 0;
    long afterBackward = 0;
    long duringBackward = 0;
    long largestGradient = 0;
    long castCopies = 0;
    long largestLayerCopies = 0;
    long[] copiesByLayer = new long[layers];
    for (ParameterShape p : model.parameters()) {
      long n = p.size();
      OptimizerCost cost = p.trainable() ? costs.getOrDefault(p.name(), adamW(n)) : OptimizerCost.NONE;
      boolean master = p.trainable() && trains(cost);
      if (quantized.contains(p.name())) {
        weights += nf4Bytes(n, doubleQuantized);
      } else {
        weights += master ? n * VALUE_BYTES : n * c;
      }
      if (!p.trainable()) {
        continue;
      }
      gradients += cost.gradientValues() * VALUE_BYTES;
      state += cost.stateValues() * VALUE_BYTES;
      // the update's temporaries, or clipping's square of the gradient: the trainer frees both per parameter
      long temporaries = Math.max(cost.scratchValues(), cost.gradientValues()) * VALUE_BYTES;
      if (steppedDuringBackward(cost)) {
        duringBackward = Math.max(duringBackward, temporaries);
      } else {
        afterBackward = Math.max(afterBackward, temporaries);
      }
      largestGradient = Math.max(largestGradient, cost.gradientValues());
      if (master && c != VALUE_BYTES && p.shape().size() == 2) {
        // the bf16 copy of the master that each forward pass casts, saved for the product's backward pass
        long copy = n * c;
        castCopies += copy;
        if (p.layerIndex().isPresent() && p.layerIndex().getAsInt() < layers) {
          copiesByLayer[p.layerIndex().getAsInt()] += copy;
        }
      }
    }
    for (long copies : copiesByLayer) {
      largestLayerCopies = Math.max(largestLayerCopies, copies);
    }
    long dequantizedLayer = 0;
    long dequantized = 0;
    long dequantizedFromHeap = 0;
    long largestQuantized = 0;
    for (LinearShape linear : model.linearLayers()) {
      if (linear.quantized()) {
        long bytes = linear.inFeatures() * linear.outFeatures() * c;
        dequantized += bytes;
        dequantizedFromHeap += bytes < NativeMemory.MMAP_THRESHOLD ? bytes : 0;
        largestQuantized = Math.max(largestQuantized, linear.inFeatures() * linear.outFeatures());
      }
    }
    if (layers > 0) {
      dequantizedLayer = dequantized / layers;
    }

    long t = work.tokens();
    long h = config.hiddenSize();
    Set<String> base = new HashSet<>();
    ModelFamily family = ModelFamilies.BUILT_IN.of(config);
    family.shape(config, false, 4).parameters().forEach(p -> base.add(p.name()));
    boolean[] trainsWeights = new boolean[layers];
    for (ParameterShape p : model.parameters()) {
      boolean training = p.trainable() && trains(costs.getOrDefault(p.name(), adamW(p.size())));
      if (training && base.contains(p.name()) && p.layerIndex().isPresent() && p.layerIndex().getAsInt() < layers) {
        trainsWeights[p.layerIndex().getAsInt()] = true;
      }
    }
    long stageOutput = c * t * h;
    long methodBytes = methodPerToken * VALUE_BYTES * t + methodPerPass * VALUE_BYTES;
    long activations;
    if (work.checkpointing()) {
      long largestLayer = 0;
      for (int l = 0; l < layers; l++) {
        largestLayer = Math.max(largestLayer, family.layerActivations(config, work, trainsWeights[l]));
      }
      long perLayerMethod = layers == 0 ? methodBytes : methodBytes / layers;
      activations = (layers + 1) * stageOutput + largestLayer + perLayerMethod + largestLayerCopies + dequantizedLayer;
    } else {
      long graphs = 0;
      for (int l = lowest; l < layers; l++) {
        graphs += family.layerActivations(config, work, trainsWeights[l]) + stageOutput;
      }
      activations = stageOutput + graphs + methodBytes + castCopies + (layers == 0 ? 0 : dequantized * kept / layers);
    }
    activations += (long) (ALLOCATOR_RETENTION * activations);
    if (work.checkpointing() && layers > 0) {
      // the recomputed layers' dequantized weights that the heap keeps (see the class comment)
      activations += (long) (ALLOCATOR_RETENTION * dequantizedFromHeap * kept / layers);
    }
    // dequantizing a 4-bit weight goes through its bytes as int64 indices (4 bytes a weight), its levels and their
    // scaled values in float32, and in bf16 a bf16 copy; double-quantized block scales are dequantized first (a
    // float32 scale a block)
    long dequantizing = (4 + 2 * VALUE_BYTES + (c < VALUE_BYTES ? c : 0)) * largestQuantized
        + (doubleQuantized ? VALUE_BYTES * blocks(largestQuantized) : 0);
    long backward = Math.max(layerBackward(config, work), lossChunk(config, work)) + largestGradient * VALUE_BYTES
        + dequantizing;
    // fitted, not derived (see RETAINED_PER_TOKEN_AND_HIDDEN)
    long runtime = RUNTIME_BYTES + RETAINED_PER_TOKEN_AND_HIDDEN * VALUE_BYTES * t * h;
    // an update after the backward pass reuses the memory its activations freed; one during it (a stage stepped
    // as soon as its gradients are complete) comes between two stages' backward transients
    long scratch = Math.max(Math.max(backward, duringBackward), afterBackward - activations);
    return new MemoryEstimate(weights, gradients, state, activations, scratch, runtime);
  }

  /**
   * The lowest decoder layer with a parameter that trains ({@link #trains}): the backward pass, and
   * the graph the forward pass keeps, start there. 0 when something below the layers trains (the embeddings).
   */
  static int lowestTrainingLayer(ModelShape model, Map<String, OptimizerCost> costs, int layers) {
    int lowest = layers;
    for (ParameterShape p : model.parameters()) {
      if (!p.trainable() || !trains(costs.getOrDefault(p.name(), adamW(p.size())))) {
        continue;
      }
      if (p.belowLayers()) {
        return 0;
      }
      if (p.layerIndex().isPresent()) {
        lowest = Math.min(lowest, p.layerIndex().getAsInt());
      }
    }
    return lowest;
  }

  /**
   * Whether a trainable parameter trains at the peak: it holds a gradient or optimizer state then. One that holds
   * neither (BAdam's inactive blocks) is priced as frozen; one that holds state but has already given its gradient
   * back (layer-wise GaLore's stepped stages) trains, so its layer keeps a graph and its weight an fp32 master.
   */
  static boolean trains(OptimizerCost cost) {
    return cost.gradientValues() > 0 || cost.stateValues() > 0;
  }

  /** Whether a parameter holds state but no gradient at the peak: it was stepped during the backward pass. */
  static boolean steppedDuringBackward(OptimizerCost cost) {
    return cost.gradientValues() == 0 && cost.stateValues() > 0;
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

  /**
   * A 4-bit NF4 weight: two codes a byte and an fp32 absmax per block of 64 — or, double-quantized, a byte per block,
   * an fp32 absmax per 256 blocks and an fp32 offset.
   */
  static long nf4Bytes(long values, boolean doubleQuantized) {
    long blocks = blocks(values);
    long scales = doubleQuantized ? blocks + VALUE_BYTES * ((blocks + 255) / 256) + VALUE_BYTES : VALUE_BYTES * blocks;
    return (values + 1) / 2 + scales;
  }

  /** The NF4 blocks of 64 a weight of this many values has. */
  private static long blocks(long values) {
    return (values + 63) / 64;
  }

  /** A layer's backward pass: the gradients of its output and input and three of the MLP's in flight. */
  static long layerBackward(ModelConfig config, Workload work) {
    long c = work.precision().storedBytes();
    long t = work.tokens();
    return 2 * c * t * config.hiddenSize() + 3 * c * t * config.intermediateSize();
  }

  /**
   * The loss's largest chunk: its positions' hidden states and their gradient in c, and when the loss takes the head's
   * chunk whole, its logits in c, their float32 copy and log-softmax and their gradient in fp32 and c; when in parts
   * (bf16), the chunk's logits, the parts' gradients and their concatenation in c, and one part's float32 copy,
   * log-softmax and gradient.
   */
  static long lossChunk(ModelConfig config, Workload work) {
    long c = work.precision().storedBytes();
    long v = config.vocabSize();
    long positions = (long) work.batch() * Math.max(1, work.length() - 1);
    long rows = CausalLmLoss.chunkRows(positions, v, CausalLmLoss.headValues(work.precision()));
    long part = CausalLmLoss.partRows(positions, v, CausalLmLoss.headValues(work.precision()),
        CausalLmLoss.chunkValues(work.precision()));
    long logits = part == rows ? (2 * c + 3 * VALUE_BYTES) * rows * v : 3 * c * rows * v + 3 * VALUE_BYTES * part * v;
    return logits + 2 * c * rows * config.hiddenSize();
  }
}
