#!/usr/bin/env python3
"""Writes the reference fixtures of runtime/src/test/resources/fixtures with Hugging Face's own code.

    pip install -r runtime/src/test/python/requirements.txt
    python3 runtime/src/test/python/make_fixtures.py [NAME...]    # only the fixtures named, or all

Deterministic: every random number comes from seeded generators, the model runs on the CPU in float32 with
eager attention, and the output is byte-for-byte the same on every run with the pinned versions. The Java
tests read these files; they never run Python. check_fixtures.py verifies the result (and the files peft4j
writes) with Python.
"""

import json
from pathlib import Path

import numpy as np
import safetensors
import safetensors.torch
import torch
import transformers
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM, Phi3Config, Phi3ForCausalLM, Gemma2Config, Gemma2ForCausalLM

FIXTURES = Path(__file__).resolve().parents[1] / "resources" / "fixtures"
SEQ_LEN = 9
PAD_ID = 0
PADDING = 3  # the second sequence ends with this many pad tokens
SIZES = dict(
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    vocab_size=128,
    max_position_embeddings=64,
    rms_norm_eps=1e-6,
    pad_token_id=PAD_ID,
    bos_token_id=1,
    eos_token_id=2,
)


def f32_exact(values):
    """float32 values as the Python floats (doubles) that represent them exactly, for JSON."""
    return [float(v) for v in np.asarray(values, dtype=np.float32).ravel()]


def f32_bits(values):
    return [int(b) for b in np.asarray(values, dtype=np.float32).ravel().view(np.uint32)]


def write_json(path, obj):
    path.write_text(json.dumps(obj, indent=1, allow_nan=False) + "\n", encoding="utf-8")


def make_dtypes():
    """Small F32, F16 and BF16 tensors written by the safetensors library, and their values as Python reads them."""
    folder = FIXTURES / "safetensors"
    folder.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(1)
    special = [
        0.0, -0.0, 1.0, -1.0, 0.1, -0.1, 1.0 / 3.0, -2.5, 3.14159265, 65504.0, -65504.0, 1e-3, 6.0e-5,
        float("inf"), float("-inf"), float("nan"),
    ]
    tensors = {
        # float32: values that are exact, not exactly representable, negative, a subnormal (1e-40), inf, nan
        "f32": torch.tensor(special + [1e-40, -1e-40, 1e30, -7.25], dtype=torch.float32).reshape(4, 5),
        # float16: rounding, negatives, subnormals (6e-8, 1e-7, -3e-6), the largest finite, overflow to inf
        "f16": torch.tensor(special + [6e-8, 1e-7, -3e-6, 70000.0], dtype=torch.float32).to(torch.float16).reshape(2, 2, 5),
        # bfloat16: rounding (ties to even), negatives, a subnormal (1e-39), large values
        "bf16": torch.tensor(special + [1e-39, -1e-39, 1.00390625, 1e38], dtype=torch.float32).to(torch.bfloat16).reshape(20),
        "f32_random": torch.randn(3, 7, generator=generator, dtype=torch.float32),
        "f16_random": torch.randn(3, 7, generator=generator, dtype=torch.float32).to(torch.float16),
        "bf16_random": torch.randn(7, 3, generator=generator, dtype=torch.float32).to(torch.bfloat16),
        "scalar_f32": torch.tensor(-1.5, dtype=torch.float32),
        "empty_f32": torch.zeros(0, 3, dtype=torch.float32),
        "i64": torch.arange(6, dtype=torch.int64).reshape(2, 3),
    }
    path = folder / "dtypes.safetensors"
    safetensors.torch.save_file(tensors, str(path), metadata={"format": "pt"})  # one key: the library orders metadata keys at random

    expected = {"metadata": {"format": "pt"}, "tensors": {}}
    with safetensors.safe_open(str(path), framework="pt") as f:
        for name in f.keys():
            t = f.get_tensor(name)
            entry = {"dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape)}
            if t.is_floating_point():
                as_f32 = t.to(torch.float32).numpy()
                finite = np.isfinite(as_f32)
                entry["bits"] = f32_bits(as_f32)  # exact, including inf, nan and -0.0
                entry["values"] = [v if ok else None for v, ok in zip(f32_exact(as_f32), finite.ravel())]
            else:
                entry["values"] = [int(v) for v in t.numpy().ravel()]
            expected["tensors"][name] = entry
    write_json(folder / "dtypes.json", expected)


def reinitialise(model, seed):
    """std-0.2 normal weights (and biases), so that logits are far from zero; norm weights around 1."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            noise = torch.randn(parameter.shape, generator=generator, dtype=torch.float32) * 0.2
            if name.endswith("norm.weight"):
                noise = noise + 1.0
            parameter.copy_(noise.to(parameter.dtype))


def batch(vocab_size, seed):
    generator = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(3, vocab_size, (2, SEQ_LEN), generator=generator)
    attention_mask = torch.ones(2, SEQ_LEN, dtype=torch.int64)
    input_ids[1, SEQ_LEN - PADDING:] = PAD_ID
    attention_mask[1, SEQ_LEN - PADDING:] = 0
    return input_ids, attention_mask


def write_expected(model, folder, vocab_size, seed):
    model.eval()
    input_ids, attention_mask = batch(vocab_size, seed)
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=attention_mask).logits
    assert logits.dtype == torch.float32, logits.dtype
    write_json(folder / "expected.json", {
        "input_ids": input_ids.tolist(),
        "attention_mask": attention_mask.tolist(),
        "logits": f32_exact(logits.numpy()),
        "shape": list(logits.shape),
        "transformers_version": transformers.__version__,
    })


def write_tensor_summary(folder):
    """Each stored tensor's dtype, shape and sums as Python reads them, for the Java test of the safetensors side."""
    files = sorted(folder.glob("*.safetensors"))
    summary = {}
    for file in files:
        with safetensors.safe_open(str(file), framework="pt") as f:
            for name in f.keys():
                t = f.get_tensor(name)
                values = t.to(torch.float64)
                summary[name] = {
                    "file": file.name,
                    "dtype": {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}[t.dtype],
                    "shape": list(t.shape),
                    "sum": float(values.sum()),
                    "abs_sum": float(values.abs().sum()),
                    "first": f32_exact(t.to(torch.float32).ravel()[:4].numpy()),
                }
    write_json(folder / "tensors.json", dict(sorted(summary.items())))


def fresh(folder):
    """The model folder, emptied of what this script writes (the files other scripts add to it stay)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("*.safetensors"), *folder.glob("*.json")]:
        if old.name not in ("expected-bf16.json", "generate.json"):
            old.unlink()
    return folder


def make_model(name, config_class, model_class, seed, dtype=torch.float32, max_shard_size=None, **config):
    folder = fresh(FIXTURES / name)
    torch.manual_seed(seed)
    model_config = config_class(**SIZES, **config)
    model_config._attn_implementation = "eager"
    model = model_class(model_config).to(torch.float32)
    reinitialise(model, seed)
    if dtype == torch.float32:
        model.save_pretrained(folder, safe_serialization=True)
        write_expected(model, folder, model_config.vocab_size, seed)
    else:
        # Saved in bf16; the expected logits come from the saved (bf16-rounded) weights computed in float32.
        model.to(dtype).save_pretrained(folder, safe_serialization=True, max_shard_size=max_shard_size)
        reloaded = model_class.from_pretrained(folder, torch_dtype=torch.float32, attn_implementation="eager")
        write_expected(reloaded, folder, model_config.vocab_size, seed)
    for extra in ("generation_config.json",):
        (folder / extra).unlink(missing_ok=True)
    write_tensor_summary(folder)


# name: (config class, model class, seed, dtype, max_shard_size, config arguments beyond SIZES)
MODELS = {
    "llama-tiny": (LlamaConfig, LlamaForCausalLM, 0, torch.float32, None,
                   dict(rope_theta=10000.0, tie_word_embeddings=False)),
    "qwen2-tiny": (Qwen2Config, Qwen2ForCausalLM, 0, torch.float32, None,
                   dict(rope_theta=1000000.0, tie_word_embeddings=True, use_sliding_window=False)),
    # Qwen3: per-head q/k norms, and a head size (16) apart from hidden_size / num_attention_heads (8).
    "qwen3-tiny": (Qwen3Config, Qwen3ForCausalLM, 0, torch.float32, None,
                   dict(head_dim=16, rope_theta=1000000.0, tie_word_embeddings=False, use_sliding_window=False)),
    # Phi-3: fused qkv_proj and gate_up_proj; a sliding window (4) shorter than the batch's 9 places.
    "phi3-tiny": (Phi3Config, Phi3ForCausalLM, 0, torch.float32, None,
                  dict(rope_theta=10000.0, tie_word_embeddings=False, sliding_window=4)),
    # Gemma 2: (1 + w) norms around attention and feed-forward, GeGLU, embeddings scaled by sqrt(hidden), attention
    # and final logits soft-capped (caps small enough to bite at these logits), query_pre_attn_scalar 16 apart from
    # head_dim 8, layers alternating a sliding window of 4 and full attention, tied embeddings.
    "gemma2-tiny": (Gemma2Config, Gemma2ForCausalLM, 0, torch.float32, None,
                    dict(rope_theta=10000.0, tie_word_embeddings=True, head_dim=8, query_pre_attn_scalar=16,
                         sliding_window=4, attn_logit_softcapping=2.0, final_logit_softcapping=3.0,
                         hidden_activation="gelu_pytorch_tanh")),
    "llama3-tiny": (LlamaConfig, LlamaForCausalLM, 0, torch.bfloat16, "24KB",
                    dict(rope_theta=10000.0, tie_word_embeddings=False,
                         rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                       "high_freq_factor": 4.0, "original_max_position_embeddings": 16})),
}


def main(names):
    """Writes the fixtures named (a model folder's name, or "safetensors"), or all of them."""
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    for name in names:
        if name != "safetensors" and name not in MODELS:
            raise SystemExit(f"no fixture named {name}: choose from safetensors, {', '.join(MODELS)}")
    if not names or "safetensors" in names:
        make_dtypes()
    for name, (config_class, model_class, seed, dtype, shard, config) in MODELS.items():
        if not names or name in names:
            make_model(name, config_class, model_class, seed=seed, dtype=dtype, max_shard_size=shard, **config)
    print("fixtures written under", FIXTURES)
    print("torch", torch.__version__, "transformers", transformers.__version__,
          "safetensors", safetensors.__version__, "numpy", np.__version__)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
