#!/usr/bin/env python3
"""Writes the bf16 logits fixtures: `expected-bf16.json` in fixtures/llama-tiny, qwen2-tiny, qwen3-tiny, phi3-tiny, gemma2-tiny, llama3-tiny and mistral-tiny, and in
method-lora's fixtures/peft/lora and fixtures/peft/dora (the adapter PEFT saved there, on llama-tiny).

    pip install -r runtime/src/test/python/requirements.txt
    python3 runtime/src/test/python/make_bf16_fixtures.py

Each model is loaded as transformers loads a model to fine-tune in bf16 (`dtype=torch.bfloat16`, the default
`sdpa` attention, but eager for Gemma 2, whose soft-cap sdpa ignores), with a PEFT adapter on top where there is one (PEFT keeps the adapter in float32 and casts the
input to it), and run on the batch of the folder's expected.json. The logits are transformers' bf16 logits as
float32 values (exact: every bf16 value is a float32). CPU, one thread.
"""

import json
from pathlib import Path

import numpy as np
import torch
import transformers
from transformers import AutoModelForCausalLM

FIXTURES = Path(__file__).resolve().parents[1] / "resources" / "fixtures"
PEFT_FIXTURES = Path(__file__).resolve().parents[4] / "method-lora" / "src" / "test" / "resources" / "fixtures" / "peft"


def write_json(path, obj):
    path.write_text(json.dumps(obj, indent=1, allow_nan=False) + "\n", encoding="utf-8")


def logits_of(model, batch):
    with torch.no_grad():
        logits = model(input_ids=torch.tensor(batch["input_ids"]),
                       attention_mask=torch.tensor(batch["attention_mask"])).logits
    assert logits.dtype == torch.bfloat16, logits.dtype
    return logits.float()


def write(folder, logits, batch, attention="sdpa", **extra):
    write_json(folder / "expected-bf16.json", {
        "input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"],
        "logits": [float(v) for v in logits.numpy().ravel()], "shape": list(logits.shape),
        "dtype": "bfloat16", "attn_implementation": attention,
        "transformers_version": transformers.__version__, "torch_version": torch.__version__.split("+")[0], **extra})
    print(folder.name, "max |logit|", float(logits.abs().max()))


def main():
    torch.set_num_threads(1)
    for name in ["llama-tiny", "qwen2-tiny", "qwen3-tiny", "phi3-tiny", "gemma2-tiny", "llama3-tiny", "mistral-tiny"]:
        folder = FIXTURES / name
        batch = json.loads((folder / "expected.json").read_text())
        # transformers' sdpa attention has no soft-cap: Gemma 2 runs eager, as transformers advises for it
        attention = "eager" if json.loads((folder / "config.json").read_text())["model_type"] == "gemma2" else "sdpa"
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16, attn_implementation=attention)
        write(folder, logits_of(model, batch), batch, attention)
    from peft import PeftModel
    import peft
    for case in ["lora", "dora"]:
        folder = PEFT_FIXTURES / case
        batch = json.loads((folder / "expected.json").read_text())
        base = AutoModelForCausalLM.from_pretrained(FIXTURES / "llama-tiny", dtype=torch.bfloat16,
                                                    attn_implementation="sdpa")
        model = PeftModel.from_pretrained(base, folder)
        assert all(p.dtype == torch.float32 for n, p in model.named_parameters() if "lora_" in n)
        write(folder, logits_of(model, batch), batch, peft_version=peft.__version__)


if __name__ == "__main__":
    main()
