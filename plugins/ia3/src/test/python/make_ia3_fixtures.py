#!/usr/bin/env python3
"""Writes the IA³ reference fixtures of plugins/ia3/src/test/resources/fixtures with Hugging Face PEFT's own code.

    pip install -r runtime/src/test/python/requirements.txt      # torch 2.7.1, transformers 4.57.6, peft 0.21.2
    python3 plugins/ia3/src/test/python/make_ia3_fixtures.py
    python3 plugins/ia3/src/test/python/check_ia3_adapter.py plugins/ia3/target/peft4j-written-ia3/llama llama

The bases are the runtime's tiny fixture models (runtime/src/test/resources/fixtures/{llama-tiny,qwen2-tiny}, made
by runtime/src/test/python/make_fixtures.py) and the batch of their expected.json. For every case,
fixtures/<case>/ holds the adapter exactly as `PeftModel.save_pretrained` writes it (adapter_config.json,
adapter_model.safetensors; the model card README.md is deleted) and expected.json:

- print_trainable_parameters: PEFT's line; targeted_module_names; feedforward (which targets scale their input);
- input_ids, attention_mask, labels (input_ids with padding set to -100), shape and logits (float32, flattened) of
  the adapted model in eval mode without gradients; loss (transformers' causal LM loss on those labels);
- gradients: each ia3_l's gradient of that loss, under the key it has in the saved file;
- merged: the weight (and bias, where the module has one) of the first layer's targets after `merge_and_unload()`.

The vectors start at one (PEFT's init_ia3_weights); the script then sets them to 1 + N(0, 0.3²) from a seeded
generator so that the adapter changes the logits. Deterministic: PYTHONHASHSEED=0 (PEFT writes target_modules in a
set's order), the CPU, one thread, deterministic algorithms, float32, eager attention.
"""

import os
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})

os.environ["HF_HUB_OFFLINE"] = "1"

import contextlib
import copy
import io
import json
import shutil
from pathlib import Path

import numpy as np
import peft
import torch
import transformers
from peft import IA3Config, get_peft_model
from transformers import AutoModelForCausalLM

HERE = Path(__file__).resolve()
REPO = HERE.parents[5]
BASES = REPO / "runtime" / "src" / "test" / "resources" / "fixtures"
OUT = HERE.parents[1] / "resources" / "fixtures"
RANDOM_STD = 0.3

CASES = {
    # name: (base folder, IA3Config arguments, seed)
    "llama": ("llama-tiny", dict(target_modules=["k_proj", "v_proj", "down_proj"], feedforward_modules=["down_proj"]), 1),
    # Qwen2's q/k/v have biases: merging scales them too. PEFT's defaults for qwen2.
    "qwen2": ("qwen2-tiny", dict(target_modules=["q_proj", "v_proj", "down_proj"], feedforward_modules=["down_proj"]), 2),
}


def f32_exact(values):
    return [float(v) for v in np.asarray(values, dtype=np.float32).ravel()]


def tensor_entry(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "values": f32_exact(t.numpy())}


def make_case(name, base_name, arguments, seed):
    folder = OUT / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    expected_base = json.loads((BASES / base_name / "expected.json").read_text(encoding="utf-8"))
    input_ids = torch.tensor(expected_base["input_ids"], dtype=torch.int64)
    attention_mask = torch.tensor(expected_base["attention_mask"], dtype=torch.int64)

    os.chdir(BASES)  # PEFT records the base as the relative name, the same on every machine
    base = AutoModelForCausalLM.from_pretrained(base_name, dtype=torch.float32, attn_implementation="eager").eval()
    model = get_peft_model(base, IA3Config(task_type="CAUSAL_LM", **arguments))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter_name, parameter in model.named_parameters():
            if ".ia3_l." in parameter_name:
                assert torch.equal(parameter, torch.ones_like(parameter)), parameter_name
                parameter.copy_(1 + torch.randn(parameter.shape, generator=generator) * RANDOM_STD)
    model.eval()

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        model.print_trainable_parameters()
    printed = printed.getvalue().rstrip("\n")
    print(f"{name}: {printed}")

    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=attention_mask).logits
    labels = input_ids.masked_fill(attention_mask == 0, -100)
    model.zero_grad(set_to_none=True)
    output = model(input_ids=input_ids, attention_mask=attention_mask, labels=labels)
    assert torch.equal(output.logits, logits)
    output.loss.backward()

    model.save_pretrained(str(folder))
    (folder / "README.md").unlink(missing_ok=True)
    from safetensors import safe_open
    with safe_open(str(folder / "adapter_model.safetensors"), framework="pt") as f:
        saved = {key: f.get_tensor(key) for key in f.keys()}

    gradients = []
    for parameter_name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        key = parameter_name.replace(".default", "")
        assert key in saved, (key, sorted(saved))
        assert torch.equal(saved[key], parameter.detach()), key
        gradients.append({"name": key, **tensor_entry(parameter.grad)})
    assert sorted(g["name"] for g in gradients) == sorted(saved)

    targeted = sorted(model.base_model.targeted_module_names)
    feedforward = sorted(n for n in targeted if model.get_submodule("base_model.model." + n).is_feedforward)
    merged_model = copy.deepcopy(model).merge_and_unload()
    merged = []
    for module in targeted:
        if not module.startswith("model.layers.0."):
            continue
        layer = merged_model.get_submodule(module)
        entry = {"module": module, "weight": tensor_entry(layer.weight)}
        if layer.bias is not None:
            entry["bias"] = tensor_entry(layer.bias)
        merged.append(entry)

    expected = {
        "case": name,
        "base": base_name,
        "peft_version": peft.__version__,
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__.split("+")[0],
        "ia3_config": arguments,
        "random_std": RANDOM_STD,
        "seed": seed,
        "print_trainable_parameters": printed,
        "targeted_module_names": targeted,
        "feedforward": feedforward,
        "input_ids": input_ids.tolist(),
        "attention_mask": attention_mask.tolist(),
        "labels": labels.tolist(),
        "shape": list(logits.shape),
        "logits": f32_exact(logits.numpy()),
        "loss": float(output.loss.detach()),
        "gradients": gradients,
        "merged": merged,
    }
    (folder / "expected.json").write_text(json.dumps(expected, indent=1, allow_nan=False) + "\n", encoding="utf-8")


def main():
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    for name, (base_name, arguments, seed) in CASES.items():
        make_case(name, base_name, arguments, seed)
    print("IA³ fixtures written under", OUT)
    print("peft", peft.__version__, "torch", torch.__version__, "transformers", transformers.__version__)


if __name__ == "__main__":
    main()
