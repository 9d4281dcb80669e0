#!/usr/bin/env python3
"""transformers + PEFT on the shapes peft4j's TrainingBenchmark trains, in a process of its own: prints one JSON line
(median step time, tokens/s, peak RSS) in the same fields. Called by bench/side-by-side; not by the Java build.

    python3 hf_train.py CONFIG_JSON METHOD BATCH LENGTH STEPS --precision bf16 --checkpointing --threads 2

The model is built from config.json with random weights (no download), in float32 or bfloat16 (as
`from_pretrained(dtype=torch.bfloat16)` leaves it), `attn_implementation = "sdpa"`. LoRA through PEFT's
`get_peft_model` (adapters in float32, PEFT's default). Each step: random tokens, forward with labels, backward,
clipping at 1.0, `torch.optim.AdamW` (lr 1e-4), `zero_grad`. Step times are the median after the first three steps,
measured the way TrainingBenchmark does (from one batch request to the next).
"""

import argparse
import json
import resource
import statistics
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM

LORA = {
    "lora-r8-qv": dict(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"]),
    "lora-r16-all": dict(r=16, lora_alpha=32, target_modules="all-linear"),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    parser.add_argument("method", choices=sorted(LORA) + ["full"])
    parser.add_argument("batch", type=int)
    parser.add_argument("length", type=int)
    parser.add_argument("steps", type=int)
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    parser.add_argument("--checkpointing", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--profile", help="torch.profiler over steps 4 and 5, as a Chrome trace in this file "
                        "(TrainingBenchmark's -Dpeft4j.bench.profile writes the same for peft4j)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    config = LlamaConfig.from_json_file(args.config)
    config._attn_implementation = "sdpa"
    config.use_cache = False
    dtype = torch.bfloat16 if args.precision == "bf16" else torch.float32
    torch.set_default_dtype(dtype)
    model = LlamaForCausalLM(config)
    torch.set_default_dtype(torch.float32)
    if args.method in LORA:
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", lora_dropout=0.0, **LORA[args.method]))
    if args.checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)

    generator = torch.Generator().manual_seed(1)
    times = []
    faults = []  # minor page faults a step
    last_faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    last = time.perf_counter()
    profiler = None
    for step in range(args.steps):
        if args.profile and step == 4:
            profiler = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], record_shapes=True)
            profiler.__enter__()
        elif profiler is not None and step == 6:
            profiler.__exit__(None, None, None)
            profiler.export_chrome_trace(args.profile)
            profiler = None
        ids = torch.randint(0, config.vocab_size, (args.batch, args.length), generator=generator)
        now = time.perf_counter()
        minflt = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        if step > 0:
            times.append((now - last) * 1000)
            faults.append(minflt - last_faults)
        last = now
        last_faults = minflt
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    times.append((time.perf_counter() - last) * 1000)
    median = statistics.median(times[min(3, len(times) - 1):])
    print(json.dumps({
        "runtime": "transformers+peft", "method": args.method, "precision": args.precision,
        "checkpointing": args.checkpointing, "batch": args.batch, "length": args.length, "steps": args.steps,
        "trainable": sum(p.numel() for p in trainable), "median_step_ms": round(median, 1),
        "tokens_per_second": round(args.batch * args.length / (median / 1000), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "minor_faults_per_step": statistics.median(faults[min(3, len(faults) - 1):]),
        "threads": args.threads, "step_ms": [round(t) for t in times]}))


if __name__ == "__main__":
    main()
