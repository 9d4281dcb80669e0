#!/usr/bin/env python3
"""Writes the 4-bit NormalFloat fixtures, runtime/src/test/resources/fixtures/nf4, with bitsandbytes' own code.

    pip install -r runtime/src/test/python/requirements.txt     # torch 2.7.1, bitsandbytes 0.50.2
    python3 runtime/src/test/python/make_nf4_fixtures.py [NAME...]   # only the fixtures named, or all

On the CPU, as peft4j runs: bitsandbytes 0.50.2 quantizes to 4 bits with its "default" backend (torch operations:
each block times the reciprocal of its absmax, torch.bucketize against the midpoints of the NF4 levels) and, for
double quantization (`compress_statistics=True`), quantizes the block scales minus their mean to 8 bits with its
native CPU kernel (`cquantize_blockwise_cpu_fp32`: a 65,536-entry lookup table over [-1, 1]). Each fixture is one
safetensors file (see the README next to the fixtures). Deterministic: every random number comes from a seeded
generator, one thread.

- `edges`: a [16, 64] weight, one block a row, built to hit the corners: the NF4 levels times 0.5, a block of zeros,
  the exact midpoints between levels (times 1 and 2: a midpoint takes the lower level), values that fall on
  different sides of a midpoint when divided by the absmax and when multiplied by its reciprocal, a block of
  subnormals (absmax below 1e-38, where bitsandbytes clamps the divisor), a block of -0.0 and one value, a block
  of one negative value, then random blocks of scales 1e-30 to 10.
- `random`: a [34, 512] weight of N(0, 0.02²) with a few outliers, as a trained model's: 272 blocks, so the second
  level has a full block of 256 scales and a partial one of 16.
- `blockwise8`: bitsandbytes' `quantize_blockwise(A, blocksize=256)` alone (the second level), on the values at
  and next to every midpoint of the dynamic map (where its lookup table and the exact nearest code can differ),
  a block of zeros and a partial block.
"""

import sys
from pathlib import Path

import numpy as np
import safetensors
import safetensors.torch
import torch

import bitsandbytes
import bitsandbytes.functional as F
from bitsandbytes.cextension import ErrorHandlerMockBNBNativeLibrary, lib

OUT = Path(__file__).resolve().parents[1] / "resources" / "fixtures" / "nf4"
f32 = np.float32


def nf4_levels():
    return F.get_4bit_type("nf4", device="cpu").numpy().astype(f32)


def edges():
    levels = nf4_levels()
    mids = ((levels[:-1] + levels[1:]) / f32(2)).astype(f32)
    rows = []
    rows.append(np.array([f32(0.5) * levels[i % 16] for i in range(64)], f32))
    rows.append(np.zeros(64, f32))
    exact = np.concatenate([[1.0, -1.0], mids, -mids]).astype(f32)
    rows.append(np.pad(exact, (0, 64 - exact.size)).astype(f32))
    rows.append((np.pad(exact, (0, 64 - exact.size)) * 2).astype(f32))
    rows.append(division_differs_from_reciprocal(mids))
    g = torch.Generator().manual_seed(5)
    rows.append((torch.randn(64, generator=g) * 1e-40).numpy().astype(f32))  # subnormal: float32 keeps ~1e-40
    zeros = np.full(64, -0.0, f32)
    zeros[17] = f32(0.25)
    rows.append(zeros)
    rows.append(np.full(64, -0.3, f32))
    for i, scale in enumerate([1e-30, 1e-3, 0.02, 0.5, 1.0, 3.0, 10.0, 0.07]):
        rows.append((torch.randn(64, generator=g) * scale).numpy().astype(f32))
    return np.stack(rows)


def division_differs_from_reciprocal(mids):
    """A block whose values are on one side of a midpoint divided by its absmax, on the other multiplied by the
    absmax's reciprocal: the absmax (of those tried) with the most such values among the float32 values around
    each midpoint times it."""
    best, best_m = [], None
    for m in [f32(0.7), f32(0.3), f32(0.9), f32(1.3), f32(0.037), f32(0.11), f32(2.9), f32(0.61)]:
        inv = f32(1) / m
        found = []
        for mid in mids:
            x = f32(mid * m)
            for _ in range(8):
                x = np.nextafter(x, f32(-1), dtype=f32)
            for _ in range(17):
                if (f32(x / m) > mid) != (f32(x * inv) > mid):
                    found.append(x)
                    break
                x = np.nextafter(x, f32(1), dtype=f32)
        if len(found) > len(best):
            best, best_m = found, m
    assert len(best) >= 4, best
    block = np.zeros(64, f32)
    block[0] = best_m
    block[1:1 + len(best)] = best
    block[1 + len(best):1 + 2 * len(best)] = -np.array(best, f32)
    return block


def random():
    g = torch.Generator().manual_seed(7)
    weight = torch.randn(34, 512, generator=g) * 0.02
    rows = torch.randint(0, 34, (6,), generator=g)
    cols = torch.randint(0, 512, (6,), generator=g)
    weight[rows, cols] *= 10
    return weight.numpy().astype(f32)


def blockwise8():
    """Values for the second level alone: the float32 values at and next to every midpoint of the dynamic map, in
    groups of 256 that each start with 1.0, their absmax (so that a value is its own normalized value), then a
    group of zeros and a partial group."""
    code = F.create_dynamic_map().numpy().astype(f32)
    mids = ((code[:-1] + code[1:]) * f32(0.5)).astype(f32)
    near = []
    for mid in mids:
        near += [np.nextafter(mid, f32(-1), dtype=f32), mid, np.nextafter(mid, f32(1), dtype=f32)]
    crafted = np.array(near, f32)
    groups = []
    for start in range(0, crafted.size, 255):
        chunk = np.concatenate([[f32(1.0)], crafted[start:start + 255]])
        groups.append(np.pad(chunk, (0, 256 - chunk.size)))  # a short last chunk is filled with zeros
    groups.append(np.zeros(256))
    g = torch.Generator().manual_seed(11)
    groups.append((torch.randn(37, generator=g) * 0.01).numpy())
    return np.concatenate(groups).astype(f32)


def u8(t):
    return t.reshape(-1).contiguous().to(torch.uint8)


def make_nf4(name, weight):
    w = torch.tensor(weight)
    packed, plain = F.quantize_4bit(w, blocksize=64, compress_statistics=False, quant_type="nf4")
    packed_dq, nested = F.quantize_4bit(w, blocksize=64, compress_statistics=True, quant_type="nf4")
    assert torch.equal(packed, packed_dq), "double quantization changed the 4-bit codes"
    assert nested.state2.blocksize == 256 and nested.offset.dim() == 0
    dequantized = F.dequantize_4bit(packed, plain)
    dequantized_dq = F.dequantize_4bit(packed_dq, nested)
    scales = F.dequantize_blockwise(nested.absmax, nested.state2) + nested.offset
    # a bf16 run: the weight stored in bf16, quantized from there, dequantized to bf16
    w16 = w.to(torch.bfloat16)
    packed16, plain16 = F.quantize_4bit(w16, blocksize=64, compress_statistics=False, quant_type="nf4")
    packed16_dq, nested16 = F.quantize_4bit(w16, blocksize=64, compress_statistics=True, quant_type="nf4")
    bf16 = F.dequantize_4bit(packed16, plain16)
    bf16_dq = F.dequantize_4bit(packed16_dq, nested16)
    assert bf16.dtype == bf16_dq.dtype == torch.bfloat16
    tensors = {
        "weight": w,
        "nf4.packed": u8(packed),
        "nf4.absmax": plain.absmax,
        "nf4.dequantized": dequantized,
        "dq.absmax_codes": u8(nested.absmax),
        "dq.offset": nested.offset.reshape(1),
        "dq.absmax2": nested.state2.absmax,
        "dq.code": nested.state2.code,
        "dq.absmax": scales,
        "dq.dequantized": dequantized_dq,
        "bf16.weight": w16,
        "bf16.nf4.dequantized": bf16,
        "bf16.dq.dequantized": bf16_dq,
    }
    save(name, tensors)
    print(f"{name}: {w.shape[0]}x{w.shape[1]}, {plain.absmax.numel()} blocks, {nested.state2.absmax.numel()} "
          f"second-level blocks, offset {nested.offset.item()!r}, max |dequantized - weight| "
          f"{(dequantized - w).abs().max().item():.3g} (double-quantized {(dequantized_dq - w).abs().max().item():.3g})")


def make_blockwise8(name):
    values = blockwise8()
    codes, state = F.quantize_blockwise(torch.tensor(values), blocksize=256)
    code = state.code.numpy()
    scale = np.repeat(state.absmax.numpy(), 256)[:values.size]
    distance = np.abs(values[:, None] - code[None, :] * scale[:, None])
    differ = int(np.count_nonzero(distance[np.arange(values.size), codes.numpy()] > distance.min(axis=1)))
    save(name, {"values": torch.tensor(values), "codes": u8(codes), "absmax": state.absmax, "code": state.code})
    print(f"{name}: {values.size} values, {state.absmax.numel()} blocks; for {differ} of them the code is not "
          f"the nearest one (bitsandbytes' lookup table)")


def save(name, tensors):
    OUT.mkdir(parents=True, exist_ok=True)
    # one key: the library writes metadata keys in a random order
    made = (f"bitsandbytes {bitsandbytes.__version__}, torch {torch.__version__.split('+')[0]}, CPU "
            f"{torch.backends.cpu.get_cpu_capability()}")
    safetensors.torch.save_file({k: v.contiguous() for k, v in tensors.items()}, str(OUT / f"{name}.safetensors"),
                                metadata={"made_by": made})


FIXTURES = {"edges": lambda: make_nf4("edges", edges()), "random": lambda: make_nf4("random", random()),
            "blockwise8": lambda: make_blockwise8("blockwise8")}


def main(names):
    torch.set_num_threads(1)
    if isinstance(lib, ErrorHandlerMockBNBNativeLibrary):
        raise SystemExit("bitsandbytes' native CPU library did not load: its quantize_blockwise would fall back to "
                         "the torch implementation, which rounds otherwise")
    for name in names:
        if name not in FIXTURES:
            raise SystemExit(f"no fixture named {name}: choose from {', '.join(FIXTURES)}")
    for name, make in FIXTURES.items():
        if not names or name in names:
            make()
    print("fixtures written under", OUT, "with bitsandbytes", bitsandbytes.__version__, "torch", torch.__version__,
          "safetensors", safetensors.__version__, "on", torch.backends.cpu.get_cpu_capability())


if __name__ == "__main__":
    main(sys.argv[1:])
