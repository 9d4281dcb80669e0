#!/usr/bin/env python3
"""Loads a LoRA adapter folder onto its tiny base with PEFT and compares its logits with a PEFT fixture.

    python3 method-lora/src/test/python/check_peft_adapter.py FOLDER CASE

FOLDER holds adapter_config.json and adapter_model.safetensors (made by PEFT, or by peft4j's writer); CASE names
method-lora/src/test/resources/fixtures/peft/CASE/expected.json. The base is the fixture's base folder (expected.json's
"base", llama-tiny when absent; whatever base_model_name_or_path the adapter records), loaded in float32 with eager attention; the adapter goes on
with `PeftModel.from_pretrained`, the model runs in eval mode without gradients on expected.json's input_ids and
attention_mask. Prints the largest absolute difference from expected.json's logits and exits 1 above 1e-5
(2 if the folder cannot be loaded as an adapter of the same shape).
"""

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # everything is local

import json
import sys
from pathlib import Path

import peft
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

FIXTURES = Path(__file__).resolve().parents[1] / "resources" / "fixtures"
# The models the fixtures are made on live in the runtime's fixtures (runtime/src/test/resources/fixtures).
RUNTIME_FIXTURES = Path(__file__).resolve().parents[4] / "runtime" / "src" / "test" / "resources" / "fixtures"

TOLERANCE = 1e-5


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(argv[1]).resolve()
    case = argv[2]
    expected = json.loads((FIXTURES / "peft" / case / "expected.json").read_text(encoding="utf-8"))
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)

    base = AutoModelForCausalLM.from_pretrained(RUNTIME_FIXTURES / expected.get("base", "llama-tiny"), dtype=torch.float32,
                                                attn_implementation="eager")
    try:
        model = PeftModel.from_pretrained(base, str(folder))
    except Exception as e:  # a malformed adapter is a failure, not a crash
        print(f"{case}: cannot load {folder} as a PEFT adapter: {type(e).__name__}: {e}")
        return 2
    model.eval()
    input_ids = torch.tensor(expected["input_ids"], dtype=torch.int64)
    attention_mask = torch.tensor(expected["attention_mask"], dtype=torch.int64)
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=attention_mask).logits
    reference = torch.tensor(expected["logits"], dtype=torch.float32).reshape(expected["shape"])
    if list(logits.shape) != list(reference.shape):
        print(f"{case}: logits shape {list(logits.shape)}, expected {list(reference.shape)}")
        return 2
    error = float((logits - reference).abs().max())
    verdict = "ok" if error <= TOLERANCE else "FAIL"
    print(f"{case}: max abs error {error:.3e} (tolerance {TOLERANCE:g}, peft {peft.__version__}) {verdict}")
    return 0 if error <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
