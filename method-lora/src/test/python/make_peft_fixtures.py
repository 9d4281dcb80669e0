#!/usr/bin/env python3
"""Writes the LoRA reference fixtures of method-lora/src/test/resources/fixtures/peft with Hugging Face PEFT's own code.

    pip install -r runtime/src/test/python/requirements.txt
    python3 method-lora/src/test/python/make_peft_fixtures.py
    for c in lora rslora dora pissa all-linear init-default; do
        python3 method-lora/src/test/python/check_peft_adapter.py method-lora/src/test/resources/fixtures/peft/$c $c
    done

The base is the llama-tiny fixture that make_fixtures.py writes (its model folder and its expected.json batch), or
qwen3-tiny for the qwen3-* cases. `make_peft_fixtures.py qwen3-lora qwen3-dora` writes only the cases named.
For every case, peft/<case>/ holds the adapter exactly as `PeftModel.save_pretrained` writes it
(adapter_config.json, adapter_model.safetensors; the model card README.md it also writes is deleted) and
expected.json (see the fixtures README for the keys).

Deterministic: PYTHONHASHSEED=0 (the script re-runs itself with it, because PEFT writes target_modules in a set's
order), the CPU, one thread, deterministic algorithms, float32, eager attention, and every random number from a
seeded generator (the global seed before `get_peft_model`, which draws LoRA A's Kaiming-uniform init, and a
torch.Generator per case for the values we put into B). The base model is loaded as the relative path "llama-tiny"
with the fixtures folder as the working directory (and HF_HUB_OFFLINE=1: nothing is looked up on the Hub), so PEFT
writes `"base_model_name_or_path": "llama-tiny"`, the same on every machine.

Loss: labels = input_ids with the padding positions (attention_mask 0) set to -100, passed as `labels=` to
LlamaForCausalLM, i.e. transformers' ForCausalLMLoss: the logits at position t (t = 0..7) are scored against the
label at t+1, position 8 has no target, labels -100 are ignored, the cross-entropy (float32) is the mean over the
counted targets (8 in row 0 + 5 in row 1 = 13). The script recomputes it by hand and asserts equality.
"""

import os
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    # PEFT keeps target_modules as a set and writes it to adapter_config.json in the set's order, which follows
    # Python's per-process string hashing: run again with a fixed hash seed so that the files are the same bytes.
    os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})

os.environ["HF_HUB_OFFLINE"] = "1"  # everything is local; never ask the Hub (set before huggingface_hub is imported)

import contextlib
import copy
import io
import json
import math
import shutil
from pathlib import Path

import numpy as np
import peft
import safetensors
import safetensors.torch
import torch
import torch.nn.functional as F
import transformers
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

FIXTURES = Path(__file__).resolve().parents[1] / "resources" / "fixtures"
# The models the fixtures are made on live in the runtime's fixtures (runtime/src/test/resources/fixtures).
RUNTIME_FIXTURES = Path(__file__).resolve().parents[4] / "runtime" / "src" / "test" / "resources" / "fixtures"
BASE = "llama-tiny"  # relative to RUNTIME_FIXTURES (the working directory while the base is loaded)
QWEN3 = "qwen3-tiny"  # the base of the qwen3-* cases
PHI3 = "phi3-tiny"  # the base of the phi3-* cases
GEMMA2 = "gemma2-tiny"  # the base of the gemma2-* cases
OUT = FIXTURES / "peft"
RANDOM_STD = 0.1
MERGED_MODULES = ("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                  "model.layers.0.self_attn.qkv_proj", "model.layers.0.mlp.gate_up_proj")

CASES = {
    # name: (LoraConfig arguments, what to randomise after get_peft_model, seed)
    "lora": (dict(), ("B",), 1),
    "rslora": (dict(use_rslora=True), ("B",), 2),
    "dora": (dict(use_dora=True), ("B",), 3),
    "pissa": (dict(init_lora_weights="pissa"), (), 4),
    "all-linear": (dict(target_modules="all-linear", r=2, lora_alpha=4), ("B",), 5),
    "init-default": (dict(), (), 6),
    # Qwen3: q/k norms inside self_attn, q_proj 32 -> 64 (head_dim 16)
    "qwen3-lora": (dict(), ("B",), 7, QWEN3),
    "qwen3-dora": (dict(use_dora=True, target_modules="all-linear"), ("B",), 8, QWEN3),
    # Phi-3: one adapter over each fused module (qkv_proj 32 -> 64, gate_up_proj 32 -> 128), as PEFT wraps it
    "phi3-lora": (dict(target_modules=["qkv_proj", "gate_up_proj"]), ("B",), 9, PHI3),
    "phi3-dora": (dict(use_dora=True, target_modules="all-linear"), ("B",), 10, PHI3),
    # Gemma 2: soft-capped, (1 + w) norms, tied embeddings
    "gemma2-lora": (dict(), ("B",), 11, GEMMA2),
    "gemma2-dora": (dict(use_dora=True, target_modules="all-linear"), ("B",), 12, GEMMA2),
    # modules_to_save (LLaMA-Factory's additional_target): full trainable copies of the embeddings and the head,
    # both moved away from the base ("M") so that a loader which ignored them would give other logits
    "modules-to-save": (dict(modules_to_save=["embed_tokens", "lm_head"]), ("B", "M"), 13),
}


def f32_exact(values):
    """float32 values as the Python floats (doubles) that represent them exactly, for JSON."""
    return [float(v) for v in np.asarray(values, dtype=np.float32).ravel()]


def tensor_entry(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "values": f32_exact(t.numpy())}


def write_json(path, obj):
    path.write_text(json.dumps(obj, indent=1, allow_nan=False) + "\n", encoding="utf-8")


def load_base(base=BASE):
    assert Path.cwd().resolve() == RUNTIME_FIXTURES  # so that PEFT records (and finds at save time) the relative "llama-tiny"
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32, attn_implementation="eager")
    return model.eval()


def base_batch(base=BASE):
    expected = json.loads((RUNTIME_FIXTURES / base / "expected.json").read_text(encoding="utf-8"))
    input_ids = torch.tensor(expected["input_ids"], dtype=torch.int64)
    attention_mask = torch.tensor(expected["attention_mask"], dtype=torch.int64)
    base_logits = torch.tensor(expected["logits"], dtype=torch.float32).reshape(expected["shape"])
    return input_ids, attention_mask, base_logits


def state_dict_name(parameter_name):
    """A trainable parameter's name in the saved adapter: PEFT drops the adapter name ("default"), and DoRA's
    magnitude (an nn.Parameter inside a module `lora_magnitude_vector[default]`) is saved without ".weight"."""
    name = parameter_name.replace(".default", "").replace(".modules_to_save", "")  # modules_to_save: the module's own name
    if name.endswith("lora_magnitude_vector.weight"):
        name = name[: -len(".weight")]
    return name


def randomise(model, which, seed):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():  # a fixed order: the module tree's
            if (".lora_B." in name and "B" in which) or (".lora_A." in name and "A" in which) or (
                    ".modules_to_save." in name and "M" in which):
                noise = torch.randn(parameter.shape, generator=generator, dtype=torch.float32) * RANDOM_STD
                # a module to save moves from its start (the base's values); LoRA's A or B is replaced
                parameter.copy_(parameter + noise if ".modules_to_save." in name else noise)


def make_case(name, extra, which, seed, input_ids, attention_mask, base_logits, base=BASE):
    folder = OUT / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)

    arguments = dict(task_type="CAUSAL_LM", r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj"])
    arguments.update(extra)
    config = LoraConfig(**arguments)

    base_name = base
    base = load_base(base_name)
    original_q = base.model.layers[0].self_attn.q_proj.weight.detach().clone() if name == "pissa" else None
    torch.manual_seed(seed)
    model = get_peft_model(base, config)
    randomise(model, which, seed)
    model.eval()

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        model.print_trainable_parameters()
    printed = printed.getvalue().rstrip("\n")
    print(f"{name}: {printed}")

    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=attention_mask).logits
    assert logits.dtype == torch.float32

    labels = input_ids.masked_fill(attention_mask == 0, -100)
    model.zero_grad(set_to_none=True)
    output = model(input_ids=input_ids, attention_mask=attention_mask, labels=labels)
    assert torch.equal(output.logits, logits), "the forward with gradients must give the same logits"
    loss = output.loss
    # the same by hand: position t predicts the token at t+1, -100 ignored, mean over the counted targets
    by_hand = F.cross_entropy(logits[:, :-1, :].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1),
                              ignore_index=-100, reduction="mean")
    assert torch.equal(loss.detach(), by_hand), (float(loss), float(by_hand))
    loss.backward()

    folder_str = str(folder)
    model.save_pretrained(folder_str)
    (folder / "README.md").unlink(missing_ok=True)  # PEFT's model card, not part of the adapter
    with safetensors.safe_open(str(folder / "adapter_model.safetensors"), framework="pt") as f:
        saved = {key: f.get_tensor(key) for key in f.keys()}

    gradients = []
    for parameter_name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        key = state_dict_name(parameter_name)
        assert key in saved, (key, sorted(saved))
        assert torch.equal(saved[key], parameter.detach()), key
        assert parameter.grad is not None, key
        gradients.append({"name": key, **tensor_entry(parameter.grad)})
    assert sorted(g["name"] for g in gradients) == sorted(saved), "every saved tensor is a trainable one"

    targeted = sorted(model.base_model.targeted_module_names)
    merged_model = copy.deepcopy(model).merge_and_unload()
    merged = []
    for module in MERGED_MODULES:
        if module in targeted:
            weight = merged_model.get_submodule(module).weight
            merged.append({"module": module, **tensor_entry(weight)})

    expected = {
        "case": name,
        "base": base_name,
        "peft_version": peft.__version__,
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__.split("+")[0],
        "lora_config": {k: (list(v) if isinstance(v, (list, tuple, set)) else v) for k, v in arguments.items()},
        "randomised": [f"lora_{w}" if w != "M" else "modules_to_save" for w in which],
        "random_std": RANDOM_STD if which else None,
        "seed": seed,
        "print_trainable_parameters": printed,
        "targeted_module_names": targeted,
        "input_ids": input_ids.tolist(),
        "attention_mask": attention_mask.tolist(),
        "labels": labels.tolist(),
        "shape": list(logits.shape),
        "logits": f32_exact(logits.numpy()),
        "max_abs_diff_from_base_logits": float((logits - base_logits).abs().max()),
        "loss": float(loss.detach()),
        "gradients": gradients,
        "merged": merged,
    }

    if name == "pissa":
        layer = model.base_model.model.model.layers[0].self_attn.q_proj
        expected["pissa"] = {
            "module": "model.layers.0.self_attn.q_proj",
            "scaling": layer.scaling["default"],
            "original_weight_sum": float(original_q.to(torch.float64).sum()),
            "residual_weight": tensor_entry(layer.base_layer.weight),
            "lora_A": tensor_entry(layer.lora_A["default"].weight),
            "lora_B": tensor_entry(layer.lora_B["default"].weight),
            "max_abs_diff_residual_plus_scaled_BA_from_original": float(
                (layer.base_layer.weight + layer.scaling["default"]
                 * layer.lora_B["default"].weight @ layer.lora_A["default"].weight - original_q).abs().max()),
        }

    if name == "init-default":
        assert torch.equal(logits, base_logits), "B = 0: the adapter must not change the logits"
        a_stats = {}
        for key, tensor in sorted(saved.items()):
            if ".lora_A." in key:
                fan_in = tensor.shape[1]
                bound = 1.0 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in))
                a_stats[key] = {
                    "shape": list(tensor.shape),
                    "kaiming_bound": bound,
                    "uniform_std": bound / math.sqrt(3.0),  # the standard deviation of U(-bound, bound)
                    "min": float(tensor.min()),
                    "max": float(tensor.max()),
                    "mean": float(tensor.to(torch.float64).mean()),
                    "std": float(tensor.to(torch.float64).std()),
                    "within_bound": bool(tensor.abs().max() <= bound),
                }
            elif ".lora_B." in key:
                assert not tensor.any(), key
        expected["init"] = {
            "logits_equal_base": True,
            "lora_B_all_zero": True,
            "lora_B_shapes": {k: list(t.shape) for k, t in sorted(saved.items()) if ".lora_B." in k},
            "lora_A": a_stats,
        }

    write_json(folder / "expected.json", expected)


def main():
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    os.chdir(RUNTIME_FIXTURES)
    chosen = sys.argv[1:] or list(CASES)  # case names: only those are written again
    for name in chosen:
        extra, which, seed, *base = CASES[name]
        base = base[0] if base else BASE
        make_case(name, extra, which, seed, *base_batch(base), base=base)
    print("PEFT fixtures written under", OUT)
    print("peft", peft.__version__, "torch", torch.__version__, "transformers", transformers.__version__,
          "safetensors", safetensors.__version__, "numpy", np.__version__)


if __name__ == "__main__":
    main()
