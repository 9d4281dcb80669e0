#!/usr/bin/env python3
"""Loads an IA³ adapter folder with PEFT onto its tiny base and compares the logits with a fixture's.

    python3 plugins/ia3/src/test/python/check_ia3_adapter.py FOLDER CASE

FOLDER holds adapter_config.json and adapter_model.safetensors (written by PEFT, or by peft4j: Ia3AgainstPeftTest
leaves the adapters it writes in plugins/ia3/target/peft4j-written-ia3/CASE); CASE names
plugins/ia3/src/test/resources/fixtures/CASE/expected.json, whose base (llama-tiny or qwen2-tiny from the runtime's
fixtures) is loaded in float32 with eager attention, whatever base_model_name_or_path the adapter records. The
adapter goes on with `PeftModel.from_pretrained`; the model runs in eval mode without gradients on the fixture's
batch. Prints the largest absolute difference from the fixture's logits; exits 1 above 1e-5, 2 if the folder does
not load as an adapter of that shape.
"""

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import json
import sys
from pathlib import Path

import peft
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

HERE = Path(__file__).resolve()
BASES = HERE.parents[5] / "runtime" / "src" / "test" / "resources" / "fixtures"
FIXTURES = HERE.parents[1] / "resources" / "fixtures"
TOLERANCE = 1e-5


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(argv[1]).resolve()
    case = argv[2]
    expected = json.loads((FIXTURES / case / "expected.json").read_text(encoding="utf-8"))
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    base = AutoModelForCausalLM.from_pretrained(BASES / expected["base"], dtype=torch.float32,
                                                attn_implementation="eager")
    try:
        model = PeftModel.from_pretrained(base, str(folder))
    except Exception as e:
        print(f"{case}: cannot load {folder} as a PEFT adapter: {type(e).__name__}: {e}")
        return 2
    config = model.peft_config["default"]
    model.eval()
    with torch.no_grad():
        logits = model(input_ids=torch.tensor(expected["input_ids"]),
                       attention_mask=torch.tensor(expected["attention_mask"])).logits
    reference = torch.tensor(expected["logits"], dtype=torch.float32).reshape(expected["shape"])
    if list(logits.shape) != list(reference.shape):
        print(f"{case}: logits shape {list(logits.shape)}, expected {list(reference.shape)}")
        return 2
    error = float((logits - reference).abs().max())
    verdict = "ok" if error <= TOLERANCE else "FAIL"
    print(f"{case}: loaded as {config.peft_type.value} (target_modules {sorted(config.target_modules)}, feedforward "
          f"{sorted(config.feedforward_modules)}); max abs error {error:.3e} (tolerance {TOLERANCE:g}, "
          f"peft {peft.__version__}) {verdict}")
    return 0 if error <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
