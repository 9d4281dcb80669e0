#!/usr/bin/env python3
"""Writes the generation fixtures: `generate.json` in fixtures/llama-tiny, qwen2-tiny, qwen3-tiny, phi3-tiny, gemma2-tiny, llama3-tiny
and mistral-tiny (`make_generate_fixtures.py NAME...` writes only those named),
and the mistral-tiny model folder itself (a sliding window shorter than the sequences).

    pip install -r runtime/src/test/python/requirements.txt
    python3 runtime/src/test/python/make_generate_fixtures.py

Each tiny model is loaded from its folder in float32 with eager attention (llama3-tiny's bf16 weights computed in
float32, as its expected.json) and runs transformers' greedy `generate` on one left-padded batch of prompts of
different lengths; the file holds the prompts, the batch, the tokens and each step's logits. Every greedy choice wins
by at least MIN_MARGIN, so that rounding cannot change the tokens. mistral-tiny is made as make_fixtures.py makes the
other tiny models (same sizes, same weights' rule) with `sliding_window` 4, and gets an expected.json of its own.
The other folders' model files are not touched: make_fixtures.py made them. CPU, one thread.
"""

import torch
import transformers
from transformers import AutoModelForCausalLM, MistralConfig, MistralForCausalLM

from make_fixtures import FIXTURES, PAD_ID, f32_exact, make_model, write_json

PROMPT_LENGTHS = (5, 9, 3)  # one batch, left-padded to the longest
MAX_NEW_TOKENS = 8
EOS_AT = 3  # the token the first row gives at this step is made the end-of-sequence token, so that rows stop early
MIN_MARGIN = 1e-3


def generate(model, input_ids, attention_mask, eos_id):
    with torch.no_grad():
        return model.generate(input_ids=input_ids, attention_mask=attention_mask, do_sample=False,
                              max_new_tokens=MAX_NEW_TOKENS, eos_token_id=eos_id, pad_token_id=PAD_ID,
                              output_logits=True, return_dict_in_generate=True)


def write_generate(folder, seed):
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
    generator = torch.Generator().manual_seed(seed + 1)
    vocab_size = model.config.vocab_size
    prompts = [torch.randint(3, vocab_size, (n,), generator=generator).tolist() for n in PROMPT_LENGTHS]
    width = max(PROMPT_LENGTHS)
    input_ids = torch.tensor([[PAD_ID] * (width - len(p)) + p for p in prompts])
    attention_mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    # The tiny models never pick their eos id 2 here; the first row's token at step EOS_AT stands in for it.
    eos_id = int(generate(model, input_ids, attention_mask, 2).sequences[0, width + EOS_AT])
    out = generate(model, input_ids, attention_mask, eos_id)
    sequences = out.sequences[:, width:].tolist()
    logits = torch.stack(out.logits, dim=1)  # [B, steps, vocab]
    answers = []
    for row, tokens in enumerate(sequences):
        answer = []
        for step, token in enumerate(tokens):
            top = torch.topk(logits[row, step], 2).values
            assert float(top[0] - top[1]) > MIN_MARGIN, (folder.name, row, step, top)
            if token == eos_id:
                break
            answer.append(token)
        answers.append(answer)
    write_json(folder / "generate.json", {
        "prompts": prompts,
        "input_ids": input_ids.tolist(),
        "attention_mask": attention_mask.tolist(),
        "max_new_tokens": MAX_NEW_TOKENS,
        "eos_token_id": eos_id,
        "pad_token_id": PAD_ID,
        "sequences": sequences,
        "answers": answers,
        "logits": f32_exact(logits.numpy()),
        "logits_shape": list(logits.shape),
        "min_margin": MIN_MARGIN,
        "transformers_version": transformers.__version__,
    })
    print(f"{folder.name}: eos {eos_id}, answers {answers}")


# The prompts' seed: 0, but where a greedy choice of seed 0's prompts wins by less than MIN_MARGIN (gemma2-tiny's
# final soft-cap of 3 squeezes its logits).
SEEDS = {"gemma2-tiny": 1}
GENERATED = ("llama-tiny", "qwen2-tiny", "qwen3-tiny", "phi3-tiny", "gemma2-tiny", "llama3-tiny", "mistral-tiny")


def main(names):
    """Writes the generate.json of the models named (and mistral-tiny's folder when it is named), or of all."""
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    for name in names:
        if name not in GENERATED:
            raise SystemExit(f"no fixture named {name}: choose from {', '.join(GENERATED)}")
    if not names or "mistral-tiny" in names:
        make_model("mistral-tiny", MistralConfig, MistralForCausalLM, seed=0,
                   rope_theta=10000.0, tie_word_embeddings=False, sliding_window=4)
    for name in GENERATED:
        if not names or name in names:
            write_generate(FIXTURES / name, seed=SEEDS.get(name, 0))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
