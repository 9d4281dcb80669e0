#!/usr/bin/env python3
"""transformers' generation on the shapes peft4j's GenerationBenchmark decodes, in a process of its own: prints one
JSON line in the same fields. Called by bench/generate/run; not by the Java build.

    python3 hf_generate.py CONFIG_JSON PROMPTS BATCH NEW_TOKENS PREFIX... --threads 2

The model is built from config.json with random weights (no download), float32, `attn_implementation = "sdpa"`,
`model.eval()` under `torch.inference_mode()`. The prompts are GenerationBenchmark.prompt's tokens, sorted by length
and left-padded in each batch; `generate` runs greedily with `min_new_tokens = max_new_tokens`, so that no row stops
early (as peft4j's side, which has no end-of-sequence token). A cached step is the model called on one token with
its `DynamicCache` after a prefill of the prefix; an uncached one is a forward pass over the whole prefix.
"""

import argparse
import json
import statistics
import time

import torch
from transformers import AutoConfig, AutoModelForCausalLM, DynamicCache

STEPS = 32


def prompt(i, vocab):
    return [3 + (i * 131 + j * 29) % (vocab - 3) for j in range(24 + (i * 37) % 33)]


def left_padded(prompts, pad_id):
    width = max(len(p) for p in prompts)
    ids = torch.tensor([[pad_id] * (width - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    return ids, mask


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    parser.add_argument("prompts", type=int)
    parser.add_argument("batch", type=int)
    parser.add_argument("new_tokens", type=int)
    parser.add_argument("prefixes", type=int, nargs="*")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    config = AutoConfig.from_pretrained(args.config)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="sdpa", dtype=torch.float32).eval()
    vocab = config.vocab_size
    pad_id = config.pad_token_id if config.pad_token_id is not None else 0
    options = dict(do_sample=False, max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens,
                   pad_token_id=pad_id)
    prompts = sorted((prompt(i, vocab) for i in range(args.prompts)), key=len)

    def answer(batch):
        start = time.perf_counter()
        for first in range(0, len(prompts), batch):
            ids, mask = left_padded(prompts[first:first + batch], pad_id)
            model.generate(input_ids=ids, attention_mask=mask, **options)
        return time.perf_counter() - start

    with torch.inference_mode():
        ids, mask = left_padded(prompts[:args.batch], pad_id)
        model.generate(input_ids=ids, attention_mask=mask, **options)  # warm-up
        single = []
        for _ in range(3):
            ids, mask = left_padded([prompt(0, vocab)], pad_id)
            start = time.perf_counter()
            model.generate(input_ids=ids, attention_mask=mask, **options)
            single.append(time.perf_counter() - start)
        batched = answer(args.batch)
        one_by_one = answer(1)
        result = {
            "side": "transformers", "prompts": args.prompts, "batch": args.batch, "new_tokens": args.new_tokens,
            "single_tokens_per_second": round(args.new_tokens / statistics.median(single), 1),
            "batched_seconds": round(batched, 2),
            "batched_tokens_per_second": round(args.prompts * args.new_tokens / batched, 1),
            "one_by_one_seconds": round(one_by_one, 2), "threads": args.threads,
        }
        for prefix in args.prefixes:
            ids = torch.tensor([[3 + (j * 29) % (vocab - 3) for j in range(prefix)]])
            cache = DynamicCache()
            model(input_ids=ids, past_key_values=cache, use_cache=True)
            cached = []
            for step in range(STEPS):
                start = time.perf_counter()
                logits = model(input_ids=torch.tensor([[3 + step]]), past_key_values=cache, use_cache=True).logits
                logits[0, -1].tolist()
                cached.append((time.perf_counter() - start) * 1000)
            uncached = []
            for _ in range(max(3, STEPS // 4)):
                start = time.perf_counter()
                model(input_ids=ids, use_cache=False).logits[0, -1].tolist()
                uncached.append((time.perf_counter() - start) * 1000)
            result[f"cached_ms_per_token_at_{prefix}"] = round(statistics.median(cached), 2)
            result[f"uncached_ms_per_token_at_{prefix}"] = round(statistics.median(uncached), 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
