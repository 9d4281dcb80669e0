package dev.peft4j.runtime.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The libtorch functions peft4j calls through TorchScript because DJL 0.35.1 cannot: every bfloat16 cast, the
 * bf16 bit views that files are read and written through, and the fused kernels a forward pass needs in any
 * precision (RMSNorm computed in float32 inside, rotary embeddings, {@code scaled_dot_product_attention},
 * SwiGLU, the loss). The module is {@code torch-ops.pt}, made by {@code
 * runtime/src/main/torchscript/make_torch_ops.py} with torch 2.7.1; each call runs one of its methods, under
 * the thread's autograd mode, so what a {@code GradientCollector} records flows through it.
 *
 * <p><b>Why here and nowhere else.</b> DJL's JNI maps no dtype code to bfloat16: {@code toType(BFLOAT16)},
 * creating a BFLOAT16 array, and every DJL call that passes an array's own dtype back to libtorch ({@code
 * softmax}, {@code logSoftmax}, {@code toType}, {@code ones/zeros} of its type, {@code
 * GradientCollector.backward} of a bf16 target) abort the JVM, which no {@code catch} can stop. A tensor
 * libtorch makes bfloat16 is otherwise an ordinary DJL array whose type DJL reports as {@link
 * DataType#UNKNOWN}; shape, {@code matMul}, {@code add}, {@code mul}, {@code reshape}, {@code transpose},
 * indexing, {@code duplicate} and autograd work on it. So bf16 arrays are made only here, their type is told
 * by {@link #isBf16}, and peft4j's own code never hands them to the calls above (TorchOpsTest and the bf16
 * training tests run every such path).
 *
 * <p>One module per process, loaded on first use: it holds no tensors and is only ever read.
 */
public final class TorchOps {

  private static final String RESOURCE = "torch-ops.pt";
  private static final List<String> METHODS = List.of("to_bf16", "to_f32", "to_dtype_of", "bf16_from_bytes", "rms_norm", "rope", "linear", "causal_attention", "masked_attention", "softcapped_attention", "softcap", "gemma_rms_norm", "gelu_tanh_mul", "scale_by", "silu_mul", "embedding",
      "cross_entropy_sum", "rows", "rows_into_zeros", "backward_two");

  private final PtSymbolBlock module;
  /** An array per method, named {@code module_method:NAME}: the way DJL's public call selects a method. */
  private final Map<String, NDArray> selectors;

  private TorchOps(PtSymbolBlock module, Map<String, NDArray> selectors) {
    this.module = module;
    this.selectors = selectors;
  }

  private static final class Holder {
    static final TorchOps INSTANCE = load();
  }

  /** The process's module, loaded with the PyTorch engine on first use. */
  public static TorchOps get() {
    return Holder.INSTANCE;
  }

  private static TorchOps load() {
    NativeMemory.keepFreedMemory();
    Engine engine = Engine.getEngine("PyTorch");
    // A manager that lives as long as the process: the module and its method selectors belong to it.
    NDManager manager = engine.newBaseManager();
    try (InputStream in = TorchOps.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the peft4j runtime jar: rebuild it");
      }
      PtSymbolBlock module = JniUtils.loadModule((PtNDManager) manager, in, true, false);
      Map<String, NDArray> selectors = new HashMap<>();
      for (String method : METHODS) {
        NDArray selector = manager.create(new Shape(0), DataType.FLOAT32);
        selector.setName("module_method:" + method);
        selectors.put(method, selector);
      }
      return new TorchOps(module, Map.copyOf(selectors));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE + " from the peft4j runtime jar", e);
    }
  }

  /** Whether {@code x} is bfloat16: the only dtype peft4j makes that DJL cannot name. */
  public static boolean isBf16(NDArray x) {
    return x.getDataType() == DataType.UNKNOWN;
  }

  /** {@code x} as bfloat16, differentiably (its gradient is cast back to x's type). */
  public NDArray toBf16(NDArray x) {
    return isBf16(x) ? x : call("to_bf16", x);
  }

  /** {@code x} as float32, differentiably. */
  public NDArray toFloat32(NDArray x) {
    return x.getDataType() == DataType.FLOAT32 ? x : call("to_f32", x);
  }

  /** {@code x} in the dtype of {@code like}, differentiably. */
  public NDArray castLike(NDArray x, NDArray like) {
    return sameType(x, like) ? x : call("to_dtype_of", x, like);
  }

  /** Whether two arrays have one dtype (bf16 included, which DJL cannot name). */
  public static boolean sameType(NDArray a, NDArray b) {
    return a.getDataType() == b.getDataType();
  }

  /**
   * The bfloat16 values whose little-endian bit patterns {@code data} holds (UINT8, two bytes a value, as a
   * safetensors file stores them), flat; rebuilt exactly in libtorch's memory, never through Java arrays.
   */
  public NDArray bf16FromBytes(NDArray data) {
    if (data.getDataType() != DataType.UINT8 || data.getShape().dimension() != 1 || data.size() % 2 != 0) {
      throw new IllegalArgumentException("bf16 bit patterns come as a flat UINT8 array of even length, not "
          + data.getDataType() + " " + data.getShape());
    }
    float[] powers = new float[255];
    for (int e = 0; e < powers.length; e++) {
      powers[e] = Math.scalb(1f, Math.max(e, 1) - 134);
    }
    NDArray table = Tensors.of(data.getManager(), powers, new Shape(powers.length)).toDevice(data.getDevice(), false);
    return call("bf16_from_bytes", data, table);
  }

  /** transformers' RMSNorm of decoder models: float32 inside, the result in x's dtype times {@code weight}. */
  public NDArray rmsNorm(NDArray x, NDArray weight, NDArray eps) {
    return call("rms_norm", x, weight, eps);
  }

  /** Rotary embeddings of queries and keys {@code [B, H, T, D]}; cos and sin {@code [.., T, D]} in float32. */
  public NDArray[] rope(NDArray q, NDArray k, NDArray cos, NDArray sin) {
    NDList out = callList("rope", q, k, cos, sin);
    return new NDArray[] {out.get(0), out.get(1)};
  }

  /** Causal attention, {@code [B, H, T, D]} queries over {@code [B, K, T, D]} keys and values. */
  public NDArray causalAttention(NDArray q, NDArray k, NDArray v, NDArray scale) {
    return call("causal_attention", q, k, v, scale);
  }

  /** Attention where {@code allowed} ({@code [B, 1, T, S]} BOOLEAN) says which key each query may see. */
  public NDArray maskedAttention(NDArray q, NDArray k, NDArray v, NDArray allowed, NDArray scale) {
    return call("masked_attention", q, k, v, allowed, scale);
  }

  /**
   * Gemma 2's eager attention: the scores {@code q·kᵀ · scale} soft-capped as {@code tanh(s / softcap) · softcap},
   * masked by {@code allowed} ({@code [B, 1, T, S]} BOOLEAN), softmax in float32; the scores are held.
   */
  public NDArray softcappedAttention(NDArray q, NDArray k, NDArray v, NDArray allowed, NDArray scale, NDArray softcap) {
    return call("softcapped_attention", q, k, v, allowed, scale, softcap);
  }

  /** {@code tanh(x / cap) · cap} in x's dtype ({@code cap} a 0-d float32 array). */
  public NDArray softcap(NDArray x, NDArray cap) {
    return call("softcap", x, cap);
  }

  /** Gemma's RMSNorm: {@code x / rms(x) · (1 + w)}, all in float32, the result in x's dtype. */
  public NDArray gemmaRmsNorm(NDArray x, NDArray weight, NDArray eps) {
    return call("gemma_rms_norm", x, weight, eps);
  }

  /** GeGLU's {@code gelu_pytorch_tanh(gate) · up}. */
  public NDArray geluTanhMul(NDArray gate, NDArray up) {
    return call("gelu_tanh_mul", gate, up);
  }

  /** {@code x · factor}, the 0-d float32 {@code factor} rounded to x's dtype first. */
  public NDArray scaleBy(NDArray x, NDArray factor) {
    return call("scale_by", x, factor);
  }

  /** {@code x·Wᵀ + b} as {@code torch.nn.Linear} computes it (the bias inside the product: one rounding in bf16). */
  public NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    return call("linear", x, weight, bias);
  }

  /** SwiGLU's {@code silu(gate) · up}. */
  public NDArray siluMul(NDArray gate, NDArray up) {
    return call("silu_mul", gate, up);
  }

  /** Rows of {@code weight} for INT64 {@code ids}, differentiable in the weight. */
  public NDArray embedding(NDArray ids, NDArray weight) {
    return call("embedding", ids, weight);
  }

  /** The summed cross-entropy of {@code [N, V]} logits (float32 inside) over {@code [N]} INT64 labels; -100 does not count. */
  public NDArray crossEntropySum(NDArray logits, NDArray labels) {
    return call("cross_entropy_sum", logits, labels);
  }

  /** Rows {@code index} (INT64 {@code [n]}) of {@code x} seen as {@code [-1, x.size(-1)]}. */
  public NDArray rows(NDArray x, NDArray index) {
    return call("rows", x, index);
  }

  /**
   * An array of {@code like}'s shape in the dtype of {@code rows}, zero but for its rows {@code index} (seen as
   * {@code [-1, like.size(-1)]}), which are {@code rows}.
   */
  public NDArray rowsIntoZeros(NDArray like, NDArray index, NDArray rows) {
    return call("rows_into_zeros", like, index, rows);
  }

  /**
   * One backward pass from {@code a} and {@code b}, two arrays of one graph, given their gradients (each in its
   * array's dtype): every node runs once, with the sum of what reaches it. An array that takes no gradient is left
   * out.
   */
  public void backwardFromTwo(NDArray a, NDArray gradientOfA, NDArray b, NDArray gradientOfB) {
    call("backward_two", a, gradientOfA, b, gradientOfB).close();
  }

  private NDArray call(String method, NDArray... inputs) {
    return callList(method, inputs).singletonOrThrow();
  }

  /**
   * Runs {@code method} on {@code inputs}; the results belong to the first input's manager. DJL's public call
   * reads an input's name as a place in a nested argument, so inputs must be unnamed (peft4j names none).
   */
  private NDList callList(String method, NDArray... inputs) {
    NDList list = new NDList(inputs.length + 1);
    for (NDArray input : inputs) {
      if (input.getName() != null && !input.getName().isEmpty()) {
        throw new IllegalArgumentException("TorchOps." + method + " takes unnamed arrays, not \"" + input.getName() + "\"");
      }
      list.add(input);
    }
    list.add(selectors.get(method));
    // TorchScript's profiling executor would specialise and optimise each method anew for every new shape (each
    // batch length): run the methods as written. The setting is per thread, so it is made on the calling one.
    JniUtils.setGraphExecutorOptimize(false);
    return IValueUtils.forward(module, list, true);
  }
}
