#!/usr/bin/env python3
"""Checks the fixtures with Python: the reference ones reproduce, and the files peft4j wrote load in Python.

    pip install -r runtime/src/test/python/requirements.txt
    python3 runtime/src/test/python/check_fixtures.py

1. Each tiny model folder loads with transformers and gives exactly the logits of its expected.json, and greedy
   generate gives the tokens of its generate.json (on the CPU each was made on: other CPUs round otherwise).
2. safetensors/dtypes.safetensors reads back as safetensors/dtypes.json says.
3. Every file under java-written/ (written by peft4j's SafetensorsWriter, see JavaWrittenFixturesTest) loads with
   the safetensors library; its F32 values are the ones the Java test wrote; its BF16 and F16 values are what
   torch's own rounding makes of them; and the re-sharded llama3-tiny loads with transformers and gives exactly
   llama3-tiny's expected logits.

Exits with 1 on the first difference.
"""

import json
import sys
from pathlib import Path

import numpy as np
import safetensors
import torch
from transformers import AutoModelForCausalLM

FIXTURES = Path(__file__).resolve().parents[1] / "resources" / "fixtures"
JAVA_WRITTEN = FIXTURES / "java-written"

# The same list as JavaWrittenFixturesTest.KNOWN, as float32.
KNOWN = np.array([
    0.0, -0.0, 1.0, -1.0, 0.1, 1.0 / 3.0, -2.5, 65504.0, 65519.996, 65520.0, 70000.0, 1e-7, 6e-8, 2.0 ** -25,
    3 * 2.0 ** -25, 1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, 1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 1e-40,
    np.finfo(np.float32).max, -np.finfo(np.float32).max, np.finfo(np.float32).smallest_subnormal,
    np.inf, -np.inf, np.nan,
], dtype=np.float32)
KNOWN[5] = np.float32(1.0) / np.float32(3.0)  # Java's 1f / 3: a float32 division


def lcg():
    """JavaWrittenFixturesTest.lcg(): 1024 float32 bit patterns, x = 1664525 x + 1013904223 mod 2^32, x0 = 1."""
    values, x = [], 1
    for _ in range(1024):
        x = (1664525 * x + 1013904223) & 0xFFFFFFFF
        values.append(x)
    return np.array(values, dtype=np.uint32).view(np.float32).reshape(32, 32)


def fail(message):
    print("FAILED:", message)
    sys.exit(1)


def same_bits(actual, expected, what):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        fail(f"{what}: shape {actual.shape}, expected {expected.shape}")
    nan = np.isnan(expected.astype(np.float32))
    if not np.array_equal(np.isnan(actual.astype(np.float32)), nan):
        fail(f"{what}: NaNs differ")
    a = actual[~nan].astype(np.float32).view(np.uint32)
    e = expected[~nan].astype(np.float32).view(np.uint32)
    if not np.array_equal(a, e):
        i = int(np.flatnonzero(a != e)[0])
        fail(f"{what}: element {i} is 0x{a[i]:08x}, expected 0x{e[i]:08x}")


def logits_of(folder, expected):
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
    with torch.no_grad():
        return model(input_ids=torch.tensor(expected["input_ids"]),
                     attention_mask=torch.tensor(expected["attention_mask"])).logits


def check_model(folder, expected_folder=None):
    expected = json.loads(((expected_folder or folder) / "expected.json").read_text())
    logits = logits_of(folder, expected)
    want = np.array(expected["logits"], dtype=np.float32).reshape(expected["shape"])
    same_bits(logits.numpy(), want, f"{folder.name} logits")
    print(f"ok  {folder.relative_to(FIXTURES)}: transformers loads it; logits {list(want.shape)} as expected.json")


def check_generate(folder):
    expected = json.loads((folder / "generate.json").read_text())
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
    with torch.no_grad():
        out = model.generate(input_ids=torch.tensor(expected["input_ids"]),
                             attention_mask=torch.tensor(expected["attention_mask"]), do_sample=False,
                             max_new_tokens=expected["max_new_tokens"], eos_token_id=expected["eos_token_id"],
                             pad_token_id=expected["pad_token_id"])
    sequences = out[:, len(expected["input_ids"][0]):].tolist()
    if sequences != expected["sequences"]:
        fail(f"{folder.name} generate gives {sequences}, generate.json says {expected['sequences']}")
    print(f"ok  {folder.relative_to(FIXTURES)}: greedy generate gives generate.json's tokens")


def check_dtypes():
    expected = json.loads((FIXTURES / "safetensors" / "dtypes.json").read_text())
    with safetensors.safe_open(str(FIXTURES / "safetensors" / "dtypes.safetensors"), framework="pt") as f:
        for name, entry in expected["tensors"].items():
            t = f.get_tensor(name)
            if "bits" in entry:
                bits = np.array(entry["bits"], dtype=np.uint32).view(np.float32).reshape(entry["shape"])
                same_bits(t.to(torch.float32).numpy(), bits, f"dtypes {name}")
    print("ok  safetensors/dtypes.safetensors reads as dtypes.json says")


def check_java_written():
    loadable = []
    tensors = {}
    for dtype in ("f32", "bf16", "f16"):
        path = JAVA_WRITTEN / f"{dtype}.safetensors"
        with safetensors.safe_open(str(path), framework="pt") as f:
            if f.metadata() != {"format": "pt", "made_by": "peft4j JavaWrittenFixturesTest"}:
                fail(f"{path.name}: metadata {f.metadata()}")
            tensors[dtype] = {name: f.get_tensor(name) for name in f.keys()}
        if dtype != "bf16":  # numpy has no bfloat16
            safetensors.numpy.load_file(str(path))
        loadable.append(path)
    f32 = tensors["f32"]
    same_bits(f32["known"].numpy(), KNOWN, "f32 known")
    same_bits(f32["lcg"].numpy(), lcg(), "f32 lcg")
    if f32["scalar"].shape != () or float(f32["scalar"]) != -1.5:
        fail(f"f32 scalar is {f32['scalar']}")
    if tuple(f32["empty"].shape) != (0, 4):
        fail(f"f32 empty has shape {tuple(f32['empty'].shape)}")
    for dtype, torch_dtype in (("bf16", torch.bfloat16), ("f16", torch.float16)):
        for name, source in f32.items():
            written = tensors[dtype][name]
            if written.dtype != torch_dtype:
                fail(f"{dtype} {name} is {written.dtype}")
            # peft4j's rounding of float32 must be torch's, bit for bit
            same_bits(written.to(torch.float32).numpy(), source.to(torch_dtype).to(torch.float32).numpy(), f"{dtype} {name}")

    resharded = JAVA_WRITTEN / "llama3-tiny-resharded"
    original = FIXTURES / "llama3-tiny"
    index = json.loads((resharded / "model.safetensors.index.json").read_text())
    originals = {}
    for shard in sorted(original.glob("*.safetensors")):
        originals.update(safetensors.torch.load_file(str(shard)))
    for shard in sorted(set(index["weight_map"].values())):
        for name, t in safetensors.torch.load_file(str(resharded / shard)).items():
            if not torch.equal(t, originals[name]) or t.dtype != torch.bfloat16:
                fail(f"{shard} {name} differs from llama3-tiny")
        loadable.append(resharded / shard)
    check_model(resharded, expected_folder=original)
    for path in loadable:
        print(f"ok  {path.relative_to(FIXTURES)} (written by peft4j) loads with safetensors {safetensors.__version__}")


def main():
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    for name in ("llama-tiny", "qwen2-tiny", "qwen3-tiny", "phi3-tiny", "gemma2-tiny", "llama3-tiny", "mistral-tiny"):
        check_model(FIXTURES / name)
        check_generate(FIXTURES / name)
    check_dtypes()
    check_java_written()
    print("all fixtures check out")


if __name__ == "__main__":
    import safetensors.numpy  # noqa: F401  (submodules used above)
    import safetensors.torch  # noqa: F401
    main()
