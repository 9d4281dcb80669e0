#!/usr/bin/env python3
"""Writes runtime/src/main/resources/dev/peft4j/runtime/nn/torch-ops.pt: the few libtorch functions peft4j calls
through TorchScript, because DJL 0.35.1 cannot (see dev.peft4j.runtime.nn.TorchOps).

    pip install torch==2.7.1            # the libtorch DJL 0.35.1 runs; the Java build never needs Python
    python3 runtime/src/main/torchscript/make_torch_ops.py

DJL's JNI maps no dtype code to bfloat16: handing it DataType.BFLOAT16 aborts the JVM. A tensor that libtorch itself
makes bfloat16 works in DJL (DJL calls its type UNKNOWN), so every bf16 tensor is made here: by a cast, or from a
file's bytes. The other
functions are the ones a bf16 forward pass computes in float32 inside (RMSNorm, the loss), or whose fused kernels DJL
does not expose (scaled_dot_product_attention, which never holds batch × heads × length² scores). They compute what
transformers' Llama modules compute, in the input's dtype.

The archive records the SHA-256 of this file (extra file `source.sha256`); TorchOpsTest checks that it matches, so
that the committed module is the one this script makes.
"""

import hashlib
from pathlib import Path
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

OUT = Path(__file__).resolve().parents[1] / "resources" / "dev" / "peft4j" / "runtime" / "nn" / "torch-ops.pt"


def rotate_half(x: Tensor) -> Tensor:
    half = x.size(-1) // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def repeat_kv(x: Tensor, groups: int) -> Tensor:
    """transformers' repeat_kv: query head h reads key/value head h // groups (expand and reshape, whose backward is
    a sum; repeat_interleave's is an index_add, slower in bf16)."""
    if groups == 1:
        return x
    b, heads, length, dim = x.shape
    return x[:, :, None, :, :].expand(b, heads, groups, length, dim).reshape(b, heads * groups, length, dim)


class TorchOps(torch.nn.Module):

    @torch.jit.export
    def to_bf16(self, x: Tensor) -> Tensor:
        """A differentiable cast to bfloat16 (its gradient is cast back)."""
        return x.to(torch.bfloat16)

    @torch.jit.export
    def to_f32(self, x: Tensor) -> Tensor:
        """A differentiable cast to float32."""
        return x.to(torch.float32)

    @torch.jit.export
    def to_dtype_of(self, x: Tensor, like: Tensor) -> Tensor:
        """A differentiable cast to the dtype of `like`."""
        return x.to(like.dtype)

    @torch.jit.export
    def bf16_from_bytes(self, data: Tensor, powers: Tensor) -> Tensor:
        """Little-endian bfloat16 bit patterns, two bytes a value (UINT8 [2n], as a file holds them), as the [n]
        bfloat16 values they stand for. TorchScript cannot reinterpret a tensor's bits (Tensor.view(dtype) does not
        compile), so each value is rebuilt exactly: (128 + mantissa) · 2^(exponent − 134), the mantissa alone for
        subnormals, from `powers` (float32 [255]: powers[e] = 2^(max(e, 1) − 134), computed exactly by the caller,
        since pow and exp2 promise one ulp, not exactness)."""
        b = data.to(torch.int32)
        p = b[0::2] | (b[1::2] << 8)
        exponent = (p >> 7) & 0xFF
        mantissa = (p & 0x7F).to(torch.float32)
        special = exponent == 255
        significand = torch.where(exponent == 0, mantissa, mantissa + 128.0)
        value = significand * powers[torch.where(special, torch.zeros_like(exponent), exponent).to(torch.int64)]
        value = torch.where(special, torch.where(mantissa == 0.0, torch.full_like(value, float("inf")),
                                                 torch.full_like(value, float("nan"))), value)
        value = torch.where((p >> 15) == 1, -value, value)
        return value.to(torch.bfloat16)

    @torch.jit.export
    def rms_norm(self, x: Tensor, weight: Tensor, eps: Tensor) -> Tensor:
        """LlamaRMSNorm: in float32 inside, the result in x's dtype times the weight."""
        dtype = x.dtype
        h = x.to(torch.float32)
        variance = h.pow(2).mean(-1, keepdim=True)
        h = h * torch.rsqrt(variance + eps)
        return weight * h.to(dtype)

    @torch.jit.export
    def rope(self, q: Tensor, k: Tensor, cos: Tensor, sin: Tensor) -> Tuple[Tensor, Tensor]:
        """apply_rotary_pos_emb: cos and sin (float32) cast to the queries' dtype."""
        cos = cos.to(q.dtype)
        sin = sin.to(q.dtype)
        return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin

    @torch.jit.export
    def causal_attention(self, q: Tensor, k: Tensor, v: Tensor, scale: Tensor) -> Tensor:
        """Causal attention of [B, H, T, D] queries over [B, K, T, D] keys and values (K divides H)."""
        groups = q.size(1) // k.size(1)
        return F.scaled_dot_product_attention(q, repeat_kv(k, groups), repeat_kv(v, groups), is_causal=True,
                                              scale=float(scale.item()))

    @torch.jit.export
    def masked_attention(self, q: Tensor, k: Tensor, v: Tensor, allowed: Tensor, scale: Tensor) -> Tensor:
        """Attention where `allowed` ([B, 1, T, S], bool) says which key each query may see."""
        groups = q.size(1) // k.size(1)
        return F.scaled_dot_product_attention(q, repeat_kv(k, groups), repeat_kv(v, groups), attn_mask=allowed,
                                              scale=float(scale.item()))

    @torch.jit.export
    def softcapped_attention(self, q: Tensor, k: Tensor, v: Tensor, allowed: Tensor, scale: Tensor,
                             softcap: Tensor) -> Tensor:
        """Gemma 2's eager attention: scores (q·kᵀ · scale) soft-capped as tanh(scores / cap) · cap, the keys
        `allowed` ([B, 1, T, S], bool) does not allow hidden, softmax in float32, the result in q's dtype. The fused
        kernel has no soft-cap, so the scores are held."""
        groups = q.size(1) // k.size(1)
        cap = float(softcap.item())
        scores = torch.matmul(q, repeat_kv(k, groups).transpose(2, 3)) * float(scale.item())
        scores = torch.tanh(scores / cap) * cap
        scores = scores.masked_fill(allowed.logical_not(), float("-inf"))
        weights = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        return torch.matmul(weights, repeat_kv(v, groups))

    @torch.jit.export
    def softcap(self, x: Tensor, cap: Tensor) -> Tensor:
        """Gemma 2's final-logit soft-cap, tanh(x / cap) · cap, in x's dtype."""
        c = float(cap.item())
        return torch.tanh(x / c) * c

    @torch.jit.export
    def gemma_rms_norm(self, x: Tensor, weight: Tensor, eps: Tensor) -> Tensor:
        """Gemma's RMSNorm: x / rms(x) · (1 + w), all in float32 (where Llama casts before the weight), the result
        in x's dtype."""
        h = x.to(torch.float32)
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
        return (h * (1.0 + weight.to(torch.float32))).to(x.dtype)

    @torch.jit.export
    def gelu_tanh_mul(self, gate: Tensor, up: Tensor) -> Tensor:
        """GeGLU's gelu_pytorch_tanh(gate) · up."""
        return F.gelu(gate, approximate="tanh") * up

    @torch.jit.export
    def scale_by(self, x: Tensor, factor: Tensor) -> Tensor:
        """x times `factor` (float32, 0-d) rounded to x's dtype first, as Gemma scales its embeddings."""
        return x * factor.to(x.dtype)

    @torch.jit.export
    def linear(self, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
        """torch.nn.Linear with a bias: the bias is added inside the matrix product, before its one rounding."""
        return F.linear(x, weight, bias)

    @torch.jit.export
    def silu_mul(self, gate: Tensor, up: Tensor) -> Tensor:
        """SwiGLU's act(gate) · up."""
        return F.silu(gate) * up

    @torch.jit.export
    def embedding(self, ids: Tensor, weight: Tensor) -> Tensor:
        return F.embedding(ids, weight)

    @torch.jit.export
    def cross_entropy_sum(self, logits: Tensor, labels: Tensor) -> Tensor:
        """The summed next-token loss of [N, V] logits (upcast to float32, as transformers' loss does) over [N]
        labels; -100 does not count."""
        return F.cross_entropy(logits.to(torch.float32), labels, ignore_index=-100, reduction="sum")

    @torch.jit.export
    def rows(self, x: Tensor, index: Tensor) -> Tensor:
        """Rows `index` (INT64 [n]) of x seen as [-1, x.size(-1)] (the positions a loss counts)."""
        return x.reshape(-1, x.size(-1)).index_select(0, index)

    @torch.jit.export
    def rows_into_zeros(self, like: Tensor, index: Tensor, rows: Tensor) -> Tensor:
        """A tensor of like's shape in the rows' dtype, zero but for its rows `index` (seen as [-1, like.size(-1)]),
        which are `rows`: the gradient of `rows(like, index)` given the rows' gradient."""
        flat = torch.zeros(like.numel() // like.size(-1), like.size(-1), dtype=rows.dtype, device=rows.device)
        return flat.index_copy(0, index, rows).reshape(like.shape)

    @torch.jit.export
    def backward_two(self, a: Tensor, grad_a: Tensor, b: Tensor, grad_b: Tensor) -> Tensor:
        """One backward pass from two tensors of a graph, given their gradients (torch.autograd.backward with two
        roots: each node runs once, with the sum of what reaches it); a tensor that takes no gradient is left out.
        Returns an empty tensor."""
        roots: List[Tensor] = []
        grads: List[Optional[Tensor]] = []
        if a.requires_grad:
            roots.append(a)
            grads.append(grad_a)
        if b.requires_grad:
            roots.append(b)
            grads.append(grad_b)
        if len(roots) > 0:
            torch.autograd.backward(roots, grads)
        return torch.empty(0)

    def forward(self, x: Tensor) -> Tensor:
        return x


def main():
    source = Path(__file__).read_bytes()
    module = torch.jit.script(TorchOps())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    torch.jit.save(module, str(OUT), _extra_files={"source.sha256": hashlib.sha256(source).hexdigest()})
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes) with torch {torch.__version__}")


if __name__ == "__main__":
    main()
