#!/usr/bin/env python3
"""Writes the BAdam reference fixtures of method-badam/src/test/resources/fixtures/badam with the reference implementation.

    pip install -r runtime/src/test/python/requirements.txt   # adds badam 1.4
    python3 method-badam/src/test/python/make_badam_fixtures.py    # deterministic: the same bytes on every run

The reference is the `badam` package (Luo et al.'s own code, `badam/block_optim.py`): `BlockOptimizer` (layer mode)
wrapping `torch.optim.AdamW`, and `BlockOptimizerRatio` (ratio mode). Each case trains the llama-tiny fixture model
(float32, eager attention, CPU, one thread, deterministic algorithms) for STEPS optimizer steps on the same STEPS
fixed batches, one batch a step, as transformers' Trainer drives an optimizer: forward with `labels=`, backward,
gradient clipping (layer mode), `optimizer.step()`, `zero_grad(set_to_none=True)`, at a constant learning rate.

Written, under fixtures/badam/:
- `batches.json`: the batches (input_ids, attention_mask, labels: -100 on the first PROMPT tokens, as a prompt,
  and on padding);
- `<case>/expected.json`: the case's settings, the loss and gradient norm of every step, which parameters trained
  at each step (and their AdamW step counts after it, which show the state reset at every switch), the lines
  the reference printed, the names of the tensors that did not change, and the library versions;
- `<case>/weights.safetensors`: every tensor that changed, after the last step (float32).

Settings the reference takes from elsewhere and that are fixed here on purpose:
- weight decay 0. The reference's layer mode puts every active parameter in groups built as
  `{"weight_decay": ..., **base_optimizer.defaults}`, so AdamW's constructor argument wins over the group's value,
  and its no-decay test (`isinstance(param, ALL_LAYERNORM_LAYERS)`) compares a tensor with module classes: RMSNorm
  weights decay there, not in peft4j (which decays 2-D weights only, as transformers' Trainer does). With 0 the
  two agree.
- ratio mode without clipping: under transformers' Trainer the reference clips gradients its hooks have already
  masked (the norm of the selected entries), peft4j clips the whole gradient before the update; without clipping
  the two agree.
- ratio mode, tensors under `preserve_threshold` (100) values: the reference's hook says "when the parameter is too
  small, we simply sparsify the whole gradient", but its next `if` is not an `elif`, so such a tensor is masked
  like the others (torch 2.7.1's `sparse_mask` keeps a sparse gradient's entries at the mask). BAdam's paper and
  peft4j update small tensors whole; `WholeSmallTensors` below applies that, and changes nothing else.
"""

import argparse
import contextlib
import io
import json
import shutil
import warnings
from pathlib import Path

import badam
import numpy as np
import safetensors
import safetensors.torch
import torch
import transformers
from badam import BlockOptimizer, BlockOptimizerRatio
from importlib.metadata import version
from transformers import LlamaForCausalLM

FIXTURES = Path(__file__).resolve().parents[1] / "resources" / "fixtures"
# The models the fixtures are made on live in the runtime's fixtures (runtime/src/test/resources/fixtures).
RUNTIME_FIXTURES = Path(__file__).resolve().parents[4] / "runtime" / "src" / "test" / "resources" / "fixtures"
BASE = RUNTIME_FIXTURES / "llama-tiny"
OUT = FIXTURES / "badam"  # --out elsewhere: to measure how far two CPUs' fixtures differ (bench/portability)
STEPS = 6
BATCH = 2
SEQ_LEN = 9
PROMPT = 3          # the first PROMPT tokens of every row are not learned (label -100)
PADDING = (0, 2)    # pad tokens at the end of each row
PAD_ID = 0
LR = 1e-2
BETAS = (0.9, 0.999)
# Not transformers' 1e-8: Adam's first step after every reset is g / (|g| + eps), so with eps = 1e-8 an entry whose
# gradient is as small as float32's rounding error of it (an exact zero, summed in another order) moves by up to a
# learning rate in any two float32 implementations, and which way depends on the CPU's instruction set and BLAS code
# path (measured with this script alone: weights 3.8e-3 apart under MKL_ENABLE_INSTRUCTIONS=AVX2, the committed
# fixtures made elsewhere). With 1e-4, 86 % of the gradient entries (median 1e-2) still take a normalised step, so
# the resets and bias corrections BAdam is about weigh as before, and rounding noise moves a weight by lr·noise/eps:
# the same script under ATEN_CPU_CAPABILITY default/avx2/avx512 and MKL AVX2 agrees to 1e-6 in the losses and
# 3e-6 in the weights.
EPS = 1e-4
MAX_GRAD_NORM = 1.0

LAYER_CASES = {
    # name: BlockOptimizer arguments
    "layer-ascending": dict(switch_mode="ascending", switch_block_every=2),
    "layer-descending-embedding-head": dict(switch_mode="descending", switch_block_every=2, include_embedding=True,
                                            include_lm_head=True),
    "layer-fixed": dict(switch_mode="fixed", switch_block_every=2, start_block=1),
    "layer-head-start": dict(switch_mode="ascending", switch_block_every=2, start_block=2, include_lm_head=True),
}
RATIO_CASES = {
    # name: BlockOptimizerRatio arguments
    "ratio-adjacent": dict(update_ratio=0.4, switch_every=2, mask_mode="adjacent", include_lm_head=True),
}


class WholeSmallTensors(BlockOptimizerRatio):
    """The reference's ratio mode with tensors under preserve_threshold values updated whole (see the docstring)."""

    def sparse_update_hook(self):
        masked = super().sparse_update_hook()

        def func(p):
            if p.numel() < self.preserve_threshold:
                p.grad = p.grad.add_(1e-9).to_sparse()  # the reference's own line for small tensors
                return
            masked(p)

        return func


def write_json(path, obj):
    path.write_text(json.dumps(obj, indent=1, allow_nan=False) + "\n", encoding="utf-8")


def make_batches():
    generator = torch.Generator().manual_seed(2024)
    batches = []
    for _ in range(STEPS):
        ids = torch.randint(3, 128, (BATCH, SEQ_LEN), generator=generator, dtype=torch.int64)
        mask = torch.ones(BATCH, SEQ_LEN, dtype=torch.int64)
        for row, pad in enumerate(PADDING):
            if pad:
                ids[row, SEQ_LEN - pad:] = PAD_ID
                mask[row, SEQ_LEN - pad:] = 0
        labels = ids.masked_fill(mask == 0, -100)
        labels[:, :PROMPT] = -100
        batches.append({"input_ids": ids.tolist(), "attention_mask": mask.tolist(), "labels": labels.tolist()})
    return batches


def load_base():
    model = LlamaForCausalLM.from_pretrained(str(BASE), dtype=torch.float32, attn_implementation="eager")
    model.train()  # dropout is 0: train and eval compute the same
    return model


def tensors_of(batch):
    return (torch.tensor(batch["input_ids"]), torch.tensor(batch["attention_mask"]), torch.tensor(batch["labels"]))


def train(model, optimizer, batches, clip, updated):
    steps = []
    for batch in batches:
        input_ids, attention_mask, labels = tensors_of(batch)
        loss = model(input_ids=input_ids, attention_mask=attention_mask, labels=labels).loss
        loss.backward()
        trained = [n for n, p in model.named_parameters() if p.grad is not None]
        norm = None
        if clip:
            norm = float(torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.grad is not None],
                                                        MAX_GRAD_NORM))
        optimizer.step()
        model.zero_grad(set_to_none=True)
        steps.append({"loss": float(loss.detach()), "grad_norm": norm, "trained": trained,
                      "state_steps": updated.pop()})
    return steps


def make_case(name, make_optimizer, clip, batches, settings):
    folder = OUT / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    model = load_base()
    initial = {n: p.detach().clone() for n, p in model.named_parameters()}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "BAdam expect model to be loaded in fp16/bf16 precision": fp32 on purpose
        optimizer, updated = make_optimizer(model)
        steps = train(model, optimizer, batches, clip, updated)
    changed = {n: p.detach().clone().contiguous() for n, p in model.named_parameters()
               if not torch.equal(p.detach(), initial[n])}
    unchanged = [n for n, _ in model.named_parameters() if n not in changed]
    safetensors.torch.save_file(changed, str(folder / "weights.safetensors"), metadata={"format": "pt"})
    write_json(folder / "expected.json", {
        "case": name,
        "settings": settings,
        "steps": steps,
        "printed": printed.getvalue().splitlines(),
        "changed": list(changed),
        "unchanged": unchanged,
        "lr": LR, "betas": list(BETAS), "eps": EPS, "weight_decay": 0.0,
        "max_grad_norm": MAX_GRAD_NORM if clip else None,
        "badam_version": version("badam"), "torch_version": torch.__version__.split("+")[0],
        "transformers_version": transformers.__version__,
    })
    print(f"{name}: {len(changed)} tensors changed, last loss {steps[-1]['loss']:.6f}")


def layer_optimizer(arguments):
    def make(model):
        base = torch.optim.AdamW(model.parameters(), lr=LR, betas=BETAS, eps=EPS, weight_decay=0.0)
        named = list(model.named_parameters())
        optimizer = BlockOptimizer(base_optimizer=base, named_parameters_list=named, verbose=1, **arguments)
        names = {id(p): n for n, p in named}
        updated = []
        step = base.step

        def recording_step(*args, **kwargs):
            # AdamW's step counts right after its update, before a block switch resets them
            result = step(*args, **kwargs)
            by_id = {id(hp): names[id(optimizer.param_idx2lp[i])] for i, hp in optimizer.param_idx2hp.items()}
            updated.append({by_id[id(p)]: int(s["step"]) for p, s in base.state.items()})
            return result

        base.step = recording_step
        return optimizer, updated

    return make


def ratio_optimizer(arguments):
    def make(model):
        named = list(model.named_parameters())
        groups = [{"params": [p for _, p in named if p.requires_grad]}]
        optimizer = WholeSmallTensors(param_groups=groups, named_parameters_list=named, lr=LR, betas=BETAS, eps=EPS,
                                      verbose=1, **arguments)
        names = {id(p): n for n, p in named}
        updated = []
        sparse_adam = optimizer._sparse_adam

        def recording_sparse_adam(params, grads, exp_avgs, exp_avg_sqs, state_steps, **kwargs):
            # the sparse Adam's step counts of this update, before a switch resets them
            result = sparse_adam(params, grads, exp_avgs, exp_avg_sqs, state_steps, **kwargs)
            updated.append({names[id(p)]: int(s) for p, s in zip(params, state_steps)})
            return result

        optimizer._sparse_adam = recording_sparse_adam
        return optimizer, updated

    return make


def main():
    global OUT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the fixtures (default: %(default)s)")
    OUT = parser.parse_args().out
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    batches = make_batches()
    write_json(OUT / "batches.json", {"pad_id": PAD_ID, "prompt_tokens": PROMPT, "batches": batches})
    for name, arguments in LAYER_CASES.items():
        make_case(name, layer_optimizer(arguments), True, batches, {"mode": "layer", **arguments})
    for name, arguments in RATIO_CASES.items():
        make_case(name, ratio_optimizer(arguments), False, batches, {"mode": "ratio", **arguments})
    print("BAdam fixtures written under", OUT)
    print("badam", version("badam"), "torch", torch.__version__, "transformers", transformers.__version__,
          "safetensors", safetensors.__version__, "numpy", np.__version__)


if __name__ == "__main__":
    main()
