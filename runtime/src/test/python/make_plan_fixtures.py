#!/usr/bin/env python3
"""Writes the planner's reference fixtures, runtime/src/test/resources/fixtures/plan, with PEFT's own code.

    pip install -r runtime/src/test/python/requirements.txt      # transformers 4.57.6, peft 0.21.2, torch 2.7.1
    python3 runtime/src/test/python/make_plan_fixtures.py

For well-known models (their config.json as published, typed in below: no model hub is asked), the script builds
each model on the meta device (no weight is allocated, so 70B costs nothing), applies the method as its reference
does, and records the trainable-parameter line PEFT prints:

    trainable params: 4,194,304 || all params: 6,742,609,920 || trainable%: 0.0622

- LoRA / DoRA: `peft.get_peft_model(model, LoraConfig(...))` and `print_trainable_parameters()` itself.
- freeze: LLaMA-Factory's `_setup_freeze_tuning` name rules (copied below), then the count of parameters that still
  require gradients, printed in PEFT's format. peft4j matches `extra-modules` as a whole name component outside the
  decoder layers, where LLaMA-Factory matches a substring anywhere (its `norm` also unfreezes every layer's
  input_layernorm and post_attention_layernorm); the cases below avoid that difference, and the script asserts
  that both rules give the same count for each of them.
- full: every parameter trains.
- BAdam (layer mode): `full`'s line, plus the blocks as BAdam's `BlockOptimizer.infer_param_groups` forms them
  (copied below) and the largest block, the most parameters that hold gradients and optimizer state at a time.

Each case also carries the peft4j run settings that mean the same thing, so that the Java test
(`PlanAgainstPeftTest`) plans exactly that run and compares the line as a string. Output: plan/<model>/config.json
(the config as written below) and plan/expected.json. Deterministic: the same bytes on every run.
"""

import contextlib
import io
import json
import re
import sys
from pathlib import Path

import peft
import torch
import transformers
from peft import LoraConfig, get_peft_model
from transformers import AutoConfig, AutoModelForCausalLM

OUT = Path(__file__).resolve().parents[1] / "resources" / "fixtures" / "plan"

# config.json of each model as published on its model card (the keys that shape the model, and the usual others).
MODELS = {
    "llama-2-7b": {
        "architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
        "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 11008, "max_position_embeddings": 4096,
        "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
        "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": None, "tie_word_embeddings": False,
        "torch_dtype": "float16", "transformers_version": "4.31.0.dev0", "use_cache": True, "vocab_size": 32000},
    "llama-2-70b": {
        "architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
        "hidden_size": 8192, "initializer_range": 0.02, "intermediate_size": 28672, "max_position_embeddings": 4096,
        "model_type": "llama", "num_attention_heads": 64, "num_hidden_layers": 80, "num_key_value_heads": 8,
        "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": None, "tie_word_embeddings": False,
        "torch_dtype": "float16", "transformers_version": "4.32.0.dev0", "use_cache": True, "vocab_size": 32000},
    "llama-3-8b": {
        "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 128000, "eos_token_id": 128001, "hidden_act": "silu", "hidden_size": 4096,
        "initializer_range": 0.02, "intermediate_size": 14336, "max_position_embeddings": 8192, "model_type": "llama",
        "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "pretraining_tp": 1,
        "rms_norm_eps": 1e-05, "rope_scaling": None, "rope_theta": 500000.0, "tie_word_embeddings": False,
        "torch_dtype": "bfloat16", "transformers_version": "4.40.0.dev0", "use_cache": True, "vocab_size": 128256},
    "mistral-7b": {
        "architectures": ["MistralForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
        "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 14336, "max_position_embeddings": 32768,
        "model_type": "mistral", "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
        "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "sliding_window": 4096, "tie_word_embeddings": False,
        "torch_dtype": "bfloat16", "transformers_version": "4.34.0.dev0", "use_cache": True, "vocab_size": 32000},
    "qwen2-7b": {
        "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
        "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 3584, "initializer_range": 0.02,
        "intermediate_size": 18944, "max_position_embeddings": 131072, "max_window_layers": 28, "model_type": "qwen2",
        "num_attention_heads": 28, "num_hidden_layers": 28, "num_key_value_heads": 4, "rms_norm_eps": 1e-06,
        "rope_theta": 1000000.0, "sliding_window": 131072, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
        "transformers_version": "4.37.2", "use_cache": True, "use_sliding_window": False, "vocab_size": 152064},
    "qwen2-0.5b": {
        "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
        "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
        "intermediate_size": 4864, "max_position_embeddings": 131072, "max_window_layers": 24, "model_type": "qwen2",
        "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
        "rope_theta": 1000000.0, "sliding_window": 131072, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
        "transformers_version": "4.40.1", "use_cache": True, "use_sliding_window": False, "vocab_size": 151936},
    "qwen3-8b": {
        "architectures": ["Qwen3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu", "hidden_size": 4096,
        "initializer_range": 0.02, "intermediate_size": 12288, "max_position_embeddings": 40960,
        "max_window_layers": 36, "model_type": "qwen3", "num_attention_heads": 32, "num_hidden_layers": 36,
        "num_key_value_heads": 8, "rms_norm_eps": 1e-06, "rope_scaling": None, "rope_theta": 1000000,
        "sliding_window": None, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
        "transformers_version": "4.51.0", "use_cache": True, "use_sliding_window": False, "vocab_size": 151936},
    "qwen3-0.6b": {
        "architectures": ["Qwen3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu", "hidden_size": 1024,
        "initializer_range": 0.02, "intermediate_size": 3072, "max_position_embeddings": 40960,
        "max_window_layers": 28, "model_type": "qwen3", "num_attention_heads": 16, "num_hidden_layers": 28,
        "num_key_value_heads": 8, "rms_norm_eps": 1e-06, "rope_scaling": None, "rope_theta": 1000000,
        "sliding_window": None, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
        "transformers_version": "4.51.0", "use_cache": True, "use_sliding_window": False, "vocab_size": 151936},
    "phi-3-mini-4k": {
        "architectures": ["Phi3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": 1,
        "embd_pdrop": 0.0, "eos_token_id": 32000, "hidden_act": "silu", "hidden_size": 3072,
        "initializer_range": 0.02, "intermediate_size": 8192, "max_position_embeddings": 4096, "model_type": "phi3",
        "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
        "original_max_position_embeddings": 4096, "pad_token_id": 32000, "resid_pdrop": 0.0, "rms_norm_eps": 1e-05,
        "rope_scaling": None, "rope_theta": 10000.0, "sliding_window": 2047, "tie_word_embeddings": False,
        "torch_dtype": "bfloat16", "transformers_version": "4.40.2", "use_cache": True, "vocab_size": 32064},
    "phi-3-medium-4k": {
        "architectures": ["Phi3ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 1, "embd_pdrop": 0.0,
        "eos_token_id": 32000, "hidden_act": "silu", "hidden_size": 5120, "initializer_range": 0.02,
        "intermediate_size": 17920, "max_position_embeddings": 4096, "model_type": "phi3", "num_attention_heads": 40,
        "num_hidden_layers": 40, "num_key_value_heads": 10, "original_max_position_embeddings": 4096,
        "pad_token_id": 32000, "resid_pdrop": 0.0, "rms_norm_eps": 1e-05, "rope_scaling": None, "rope_theta": 10000.0,
        "sliding_window": 2047, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
        "transformers_version": "4.39.3", "use_cache": True, "vocab_size": 32064},
    "gemma-2-2b": {
        "architectures": ["Gemma2ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "attn_logit_softcapping": 50.0, "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": 1,
        "final_logit_softcapping": 30.0, "head_dim": 256, "hidden_act": "gelu_pytorch_tanh",
        "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 2304, "initializer_range": 0.02,
        "intermediate_size": 9216, "max_position_embeddings": 8192, "model_type": "gemma2", "num_attention_heads": 8,
        "num_hidden_layers": 26, "num_key_value_heads": 4, "pad_token_id": 0, "query_pre_attn_scalar": 256,
        "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "sliding_window": 4096, "torch_dtype": "float32",
        "transformers_version": "4.42.4", "use_cache": True, "vocab_size": 256000},
    "gemma-2-9b": {
        "architectures": ["Gemma2ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "attn_logit_softcapping": 50.0, "bos_token_id": 2, "cache_implementation": "hybrid", "eos_token_id": 1,
        "final_logit_softcapping": 30.0, "head_dim": 256, "hidden_act": "gelu_pytorch_tanh",
        "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 3584, "initializer_range": 0.02,
        "intermediate_size": 14336, "max_position_embeddings": 8192, "model_type": "gemma2", "num_attention_heads": 16,
        "num_hidden_layers": 42, "num_key_value_heads": 8, "pad_token_id": 0, "query_pre_attn_scalar": 256,
        "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "sliding_window": 4096, "torch_dtype": "float32",
        "transformers_version": "4.42.0.dev0", "use_cache": True, "vocab_size": 256000},
    "tinyllama-1.1b": {
        "architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
        "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 5632, "max_position_embeddings": 2048,
        "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 22, "num_key_value_heads": 4,
        "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": None, "tie_word_embeddings": False,
        "torch_dtype": "bfloat16", "transformers_version": "4.35.0", "use_cache": True, "vocab_size": 32000},
}

# name: (model, peft4j settings (HOCON), what the reference does)
CASES = [
    ("llama-2-7b lora r8 q_proj v_proj", "llama-2-7b",
     "methods = [lora]\nlora { rank = 8, target = [q_proj, v_proj] }",
     ("lora", dict(r=8, lora_alpha=8, target_modules=["q_proj", "v_proj"]))),
    ("llama-2-7b lora patterns", "llama-2-7b",
     "methods = [lora]\nlora { rank = 8, target = [q_proj, k_proj, v_proj, o_proj, gate_proj]\n"
     "  layers-to-transform = [0, 1, 2, 3, 28, 29, 30, 31], exclude-modules = [model.layers.0.self_attn.k_proj]\n"
     "  rank-pattern { o_proj = 32, gate_proj = 4 }, alpha-pattern { o_proj = 64 } }",
     ("lora", dict(r=8, lora_alpha=8, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj"],
                   layers_to_transform=[0, 1, 2, 3, 28, 29, 30, 31],
                   exclude_modules=["model.layers.0.self_attn.k_proj"],
                   rank_pattern={"o_proj": 32, "gate_proj": 4}, alpha_pattern={"o_proj": 64}))),
    ("llama-3-8b lora r16 all-linear (GQA)", "llama-3-8b",
     "methods = [lora]\nlora { rank = 16, alpha = 32, target = all-linear }",
     ("lora", dict(r=16, lora_alpha=32, target_modules="all-linear"))),
    ("mistral-7b dora r8 q k v o (GQA)", "mistral-7b",
     "methods = [lora]\nlora { rank = 8, alpha = 16, target = [q_proj, k_proj, v_proj, o_proj], use-dora = true }",
     ("lora", dict(r=8, lora_alpha=16, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"], use_dora=True))),
    ("qwen2-7b lora r16 q k v, biases of adapted layers (GQA)", "qwen2-7b",
     "methods = [lora]\nlora { rank = 16, target = [q_proj, k_proj, v_proj], bias = lora_only }",
     ("lora", dict(r=16, lora_alpha=16, target_modules=["q_proj", "k_proj", "v_proj"], bias="lora_only"))),
    ("qwen2-0.5b dora r8 all-linear, every bias (tied embeddings)", "qwen2-0.5b",
     "methods = [lora]\nlora { rank = 8, target = all-linear, use-dora = true, bias = all }",
     ("lora", dict(r=8, lora_alpha=8, target_modules="all-linear", use_dora=True, bias="all"))),
    ("qwen3-8b lora r8, PEFT's default targets (q/k norms, head_dim 128)", "qwen3-8b",
     "methods = [lora]\nlora { rank = 8 }",
     ("lora", dict(r=8, lora_alpha=8))),
    ("qwen3-8b dora r16 all-linear", "qwen3-8b",
     "methods = [lora]\nlora { rank = 16, alpha = 32, target = all-linear, use-dora = true }",
     ("lora", dict(r=16, lora_alpha=32, target_modules="all-linear", use_dora=True))),
    ("qwen3-0.6b lora r8 q k v o (tied embeddings, q_proj 1024 to 2048)", "qwen3-0.6b",
     "methods = [lora]\nlora { rank = 8, target = [q_proj, k_proj, v_proj, o_proj] }",
     ("lora", dict(r=8, lora_alpha=8, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"]))),
    ("phi-3-mini lora r8 on the fused qkv_proj", "phi-3-mini-4k",
     "methods = [lora]\nlora { rank = 8, target = [qkv_proj] }",
     ("lora", dict(r=8, lora_alpha=8, target_modules=["qkv_proj"]))),
    ("phi-3-medium dora r16 all-linear (GQA, fused qkv_proj and gate_up_proj)", "phi-3-medium-4k",
     "methods = [lora]\nlora { rank = 16, alpha = 32, target = all-linear, use-dora = true }",
     ("lora", dict(r=16, lora_alpha=32, target_modules="all-linear", use_dora=True))),
    ("gemma-2-2b lora r8, PEFT's default targets (tied embeddings, head_dim 256)", "gemma-2-2b",
     "methods = [lora]\nlora { rank = 8 }",
     ("lora", dict(r=8, lora_alpha=8))),
    ("gemma-2-9b dora r16 all-linear", "gemma-2-9b",
     "methods = [lora]\nlora { rank = 16, alpha = 32, target = all-linear, use-dora = true }",
     ("lora", dict(r=16, lora_alpha=32, target_modules="all-linear", use_dora=True))),
    ("llama-2-70b lora r16 all-linear (GQA)", "llama-2-70b",
     "methods = [lora]\nlora { rank = 16, alpha = 32, target = all-linear }",
     ("lora", dict(r=16, lora_alpha=32, target_modules="all-linear"))),
    ("llama-2-70b lora r8 q_proj v_proj", "llama-2-70b",
     "methods = [lora]\nlora { rank = 8, target = [q_proj, v_proj] }",
     ("lora", dict(r=8, lora_alpha=8, target_modules=["q_proj", "v_proj"]))),
    ("llama-2-7b full", "llama-2-7b", "methods = [full]", ("full", None)),
    ("llama-2-7b freeze last 2 layers", "llama-2-7b",
     "methods = [freeze]\nfreeze { trainable-layers = 2 }",
     ("freeze", dict(freeze_trainable_layers=2, freeze_trainable_modules=["all"], freeze_extra_modules=[]))),
    ("mistral-7b freeze first 4 layers' mlp and the embedding", "mistral-7b",
     "methods = [freeze]\nfreeze { trainable-layers = -4, trainable-modules = [mlp], extra-modules = [embed_tokens] }",
     ("freeze", dict(freeze_trainable_layers=-4, freeze_trainable_modules=["mlp"],
                     freeze_extra_modules=["embed_tokens"]))),
    ("qwen2-7b freeze last 3 layers' self_attn and lm_head", "qwen2-7b",
     "methods = [freeze]\nfreeze { trainable-layers = 3, trainable-modules = [self_attn], extra-modules = [lm_head] }",
     ("freeze", dict(freeze_trainable_layers=3, freeze_trainable_modules=["self_attn"],
                     freeze_extra_modules=["lm_head"]))),
    ("qwen3-8b freeze last 2 layers' self_attn (its q/k norms too)", "qwen3-8b",
     "methods = [freeze]\nfreeze { trainable-layers = 2, trainable-modules = [self_attn] }",
     ("freeze", dict(freeze_trainable_layers=2, freeze_trainable_modules=["self_attn"], freeze_extra_modules=[]))),
    ("phi-3-mini freeze last 2 layers' mlp", "phi-3-mini-4k",
     "methods = [freeze]\nfreeze { trainable-layers = 2, trainable-modules = [mlp] }",
     ("freeze", dict(freeze_trainable_layers=2, freeze_trainable_modules=["mlp"], freeze_extra_modules=[]))),
    ("gemma-2-2b freeze last 2 layers' mlp", "gemma-2-2b",
     "methods = [freeze]\nfreeze { trainable-layers = 2, trainable-modules = [mlp] }",
     ("freeze", dict(freeze_trainable_layers=2, freeze_trainable_modules=["mlp"], freeze_extra_modules=[]))),
    ("tinyllama-1.1b freeze last 4 layers' mlp and self_attn", "tinyllama-1.1b",
     "methods = [freeze]\nfreeze { trainable-layers = 4, trainable-modules = [mlp, self_attn] }",
     ("freeze", dict(freeze_trainable_layers=4, freeze_trainable_modules=["mlp", "self_attn"],
                     freeze_extra_modules=[]))),
    ("llama-2-7b full + galore", "llama-2-7b", "methods = [full, galore]", ("full", None)),
    ("llama-3-8b full + badam (layer mode)", "llama-3-8b", "methods = [full, badam]",
     ("badam", dict(include_embedding=False, include_lm_head=False))),
    ("llama-3-8b full + badam with embedding and head blocks", "llama-3-8b",
     "methods = [full, badam]\nbadam { include-embedding = true, include-lm-head = true }",
     ("badam", dict(include_embedding=True, include_lm_head=True))),
    ("qwen2-0.5b full + badam (tied embeddings)", "qwen2-0.5b", "methods = [full, badam]",
     ("badam", dict(include_embedding=False, include_lm_head=False))),
    ("qwen3-0.6b full + badam (tied embeddings)", "qwen3-0.6b", "methods = [full, badam]",
     ("badam", dict(include_embedding=False, include_lm_head=False))),
    ("phi-3-mini full + badam", "phi-3-mini-4k", "methods = [full, badam]",
     ("badam", dict(include_embedding=False, include_lm_head=False))),
    ("gemma-2-2b full + badam (tied embeddings)", "gemma-2-2b", "methods = [full, badam]",
     ("badam", dict(include_embedding=False, include_lm_head=False))),
]


def build(model_name):
    folder = OUT / model_name
    config = AutoConfig.from_pretrained(str(folder))
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config)


def peft_line(trainable, total):
    """PEFT's PeftModel.print_trainable_parameters format."""
    return f"trainable params: {trainable:,d} || all params: {total:,d} || trainable%: {100 * trainable / total:.4f}"


def count(model):
    """As PEFT's get_nb_trainable_parameters counts (named_parameters, shared tensors once)."""
    trainable = total = 0
    for _, parameter in model.named_parameters():
        total += parameter.numel()
        if parameter.requires_grad:
            trainable += parameter.numel()
    return trainable, total


def lora_line(model, arguments):
    peft_model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", lora_dropout=0.0, **arguments))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        peft_model.print_trainable_parameters()
    line = printed.getvalue().strip()
    assert line == peft_line(*count(peft_model)), line  # the format reproduced here is PEFT's
    return line


def freeze_trainable(model, args, peft4j_rule):
    """LLaMA-Factory's _setup_freeze_tuning (model/adapter.py), without LLaMA Pro and vision towers; with
    peft4j_rule the extra modules match a whole name component outside the decoder layers instead of a substring."""
    num_layers = model.config.num_hidden_layers
    n = args["freeze_trainable_layers"]
    trainable_layer_ids = range(max(0, num_layers - n), num_layers) if n > 0 else range(min(-n, num_layers))
    hidden_modules, non_hidden_modules = set(), set()
    for name, _ in model.named_parameters():
        if ".0." in name:
            hidden_modules.add(name.split(".0.")[-1].split(".")[0])
        elif ".1." in name:
            hidden_modules.add(name.split(".1.")[-1].split(".")[0])
        if re.search(r"\.\d+\.", name) is None:
            non_hidden_modules.add(name.split(".")[-2])
    trainable_layers = []
    for module_name in args["freeze_trainable_modules"]:
        assert module_name == "all" or module_name in hidden_modules, module_name
        for idx in trainable_layer_ids:
            trainable_layers.append(".{:d}.{}".format(idx, module_name if module_name != "all" else ""))
    extra = list(args["freeze_extra_modules"])
    for module_name in extra:
        assert module_name in non_hidden_modules, (module_name, non_hidden_modules)
    names = set()
    for name, _ in model.named_parameters():
        in_layers = any(layer in name for layer in trainable_layers)
        if peft4j_rule:
            in_extra = re.search(r"\.\d+\.", name) is None and any(m in name.split(".") for m in extra)
        else:
            in_extra = any(m in name for m in extra)
        if in_layers or in_extra:
            names.add(name)
    return names


def freeze_line(model, args):
    names = freeze_trainable(model, args, peft4j_rule=True)
    assert names == freeze_trainable(model, args, peft4j_rule=False), "peft4j and LLaMA-Factory differ on this case"
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(name in names)
    return peft_line(*count(model))


def badam_blocks(model, include_embedding, include_lm_head):
    """BAdam's BlockOptimizer.infer_param_groups (src/badam/block_optim.py): a block per decoder layer, the
    embedding as a block when asked, and everything else (the head, the final norm) as the last block when asked."""
    block_prefix_list, lm_head_and_other_params = [], []
    embed_pattern = r".*embed[^.]*\."
    layer_pattern = r".*layers.[^.]*\."
    param_names = [name for name, _ in model.named_parameters()]
    for name in param_names:
        if any(prefix[0] in name for prefix in block_prefix_list):
            continue
        if re.findall(layer_pattern, name):
            block_prefix_list.append(re.findall(layer_pattern, name))
        elif re.findall(embed_pattern, name) and include_embedding:
            block_prefix_list.append(re.findall(embed_pattern, name))
        else:
            lm_head_and_other_params.append(name)
    if include_lm_head:
        block_prefix_list.append(lm_head_and_other_params)
    sizes = dict(model.named_parameters())
    blocks = []
    for prefixes in block_prefix_list:
        members = [name for name in param_names if any(p in name for p in prefixes)]
        blocks.append({"prefixes": prefixes, "params": sum(sizes[m].numel() for m in members)})
    return blocks


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, config in MODELS.items():
        (OUT / name).mkdir(exist_ok=True)
        (OUT / name / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    cases = []
    for case_name, model_name, run, (kind, arguments) in CASES:
        model = build(model_name)
        case = {"name": case_name, "model": model_name, "run": run}
        if kind == "lora":
            case["peft_config"] = arguments
            case["line"] = lora_line(model, arguments)
        elif kind == "freeze":
            case["llamafactory_args"] = arguments
            case["line"] = freeze_line(model, arguments)
        else:
            for parameter in model.parameters():
                parameter.requires_grad_(True)
            case["line"] = peft_line(*count(model))
            if kind == "badam":
                blocks = badam_blocks(model, **arguments)
                case["badam_args"] = arguments
                case["badam_blocks"] = len(blocks)
                largest = max(blocks, key=lambda b: b["params"])
                case["badam_largest_block"] = {"first": largest["prefixes"][0], "params": largest["params"]}
        print(f"{case_name}: {case['line']}" + (f"; largest block {case['badam_largest_block']}"
                                               if "badam_largest_block" in case else ""))
        cases.append(case)
        del model
    expected = {
        "peft_version": peft.__version__,
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__.split("+")[0],
        "cases": cases,
    }
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")
    methods_line = "trainable params: 4,194,304 || all params: 6,742,609,920 || trainable%: 0.0622"
    assert cases[0]["line"] == methods_line, "METHODS.md's Llama-2-7B line: " + cases[0]["line"]


if __name__ == "__main__":
    sys.exit(main())
