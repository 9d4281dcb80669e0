#!/usr/bin/env python3
"""Encodes conversations with LLaMA-Factory's own named templates (llamafactory 0.9.5's data/template.py and the
supervised processor of data/processor/supervised.py) and writes fixtures/llamafactory-templates/, which
LlamaFactoryTemplateTest compares peft4j's named templates with.

    python3 runtime/src/test/python/make_llamafactory_template_fixtures.py

The venv of requirements.txt, plus LLaMA-Factory without its training stack (it imports these at start-up):

    pip install datasets==4.0.0 kernels==0.9.0 'huggingface-hub>=0.34,<1.0'
    pip install --no-deps llamafactory==0.9.5 torchaudio==2.7.1

The tokenizer is a character-level BPE (no merges) whose added tokens are the special tokens of the families the
templates are for, so that token ids show every piece and every special token. It is written next to the fixtures
and peft4j's test loads the same files. For each template and conversation the fixture holds:
- "pieces": what Template._encode makes of each message before ids (text, {"bos_token"}, {"eos_token"}, in order);
- "input_ids" and "labels": SupervisedDatasetProcessor._encode_data_example at cutoff_len 4096 and at 48
  (infer_seqlen's cuts), after get_template_and_fix_tokenizer fixed the tokenizer (eos replaced by the first stop
  word where the template says so);
- "prompt_ids": encode_oneturn of the conversation's prompt, as LLaMA-Factory's chat model generates from it.
"""

import json
import pathlib
import types

from tokenizers import AddedToken, Tokenizer, decoders, models
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from llamafactory.data.processor.supervised import SupervisedDatasetProcessor
from llamafactory.data.template import TEMPLATES, get_template_and_fix_tokenizer

HERE = pathlib.Path(__file__).resolve().parents[1] / "resources" / "fixtures" / "llamafactory-templates"
NAMES = ["llama3", "qwen", "qwen3_nothink", "mistral", "gemma", "phi", "alpaca", "default"]
SPECIAL = ["<unk>", "<s>", "</s>", "<pad>", "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
           "<|eot_id|>", "<|eom_id|>", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<start_of_turn>",
           "<end_of_turn>", "<|user|>", "<|assistant|>", "<|system|>", "<|end|>"]

CONVERSATIONS = {
    "oneExchange": ("", [("user", "What is 2 + 2?"), ("assistant", "4")]),
    "system": ("Be brief.", [("user", "Hi"), ("assistant", "Hello.")]),
    # Two exchanges; spaces around the text, lines and characters outside ASCII stay as they are.
    "twoExchanges": ("Answer in one word.", [("user", " Reverse: abc "), ("assistant", "cba"),
                                              ("user", "Line one\nline two\n"), ("assistant", "Grüße 👋")]),
    # "{{idx}}" in a user turn: Template._encode fills the user slot with content first and then replaces the
    # first "{{idx}}" with the exchange's index (a quirk kept); quotes and braces otherwise stay text.
    "placeholders": ("", [("user", "say {{idx}} and {{content}}"), ("assistant", "'0' {{x}}"),
                          ("user", "{{idx}}"), ("assistant", "\"1\"")]),
    # Three exchanges long enough that cutoff_len 48 cuts the later ones (infer_seqlen).
    "long": ("You are a calculator.", [("user", "12 + 30 = ? Give the sum."), ("assistant", "The sum is 42."),
                                      ("user", "And 7 * 6?"), ("assistant", "That is 42 again."),
                                      ("user", "Now 100 - 58, please."), ("assistant", "42.")]),
}
CUTOFFS = [4096, 48]


def write_tokenizer(folder):
    characters = set()
    for system, turns in CONVERSATIONS.values():
        characters.update(system)
        for _, content in turns:
            characters.update(content)
    for name in NAMES:  # the templates' own text
        template = TEMPLATES[name]
        for formatter in (template.format_user, template.format_assistant, template.format_system,
                          template.format_prefix):
            for slot in formatter.slots:
                if isinstance(slot, str):
                    characters.update(slot)
        characters.update(template.default_system)
    vocab = {token: i for i, token in enumerate(SPECIAL)}
    for character in sorted(characters):
        vocab.setdefault(character, len(vocab))
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tokenizer.add_special_tokens([AddedToken(token, special=True, normalized=False) for token in SPECIAL])
    tokenizer.decoder = decoders.Fuse()
    folder.mkdir(parents=True, exist_ok=True)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>",
                                   unk_token="<unk>", pad_token="<pad>")
    fast.save_pretrained(folder)
    for extra in ("special_tokens_map.json", "chat_template.jinja"):
        (folder / extra).unlink(missing_ok=True)


class Recorder:
    """Stands in for a tokenizer in Template._encode: returns the pieces instead of ids."""

    bos_token_id = "bos"
    eos_token_id = "eos"

    def encode(self, text, add_special_tokens=False):
        return [{"text": text}]

    def convert_tokens_to_ids(self, token):
        return {"token": token}


def pieces(template, messages, system):
    encoded = template._encode(Recorder(), messages, system, "")
    return [[{"special": piece + "_token"} if isinstance(piece, str) else piece for piece in message]
            for message in encoded]


def main():
    write_tokenizer(HERE / "tokenizer")
    fixtures = {}
    for name in NAMES:
        tokenizer = AutoTokenizer.from_pretrained(HERE / "tokenizer")
        data_args = types.SimpleNamespace(template=name, train_on_prompt=False, tool_format=None, default_system=None,
                                          enable_thinking=True, preserve_thinking=False, mask_history=False)
        template = get_template_and_fix_tokenizer(tokenizer, data_args)
        cases = {}
        for case, (system, turns) in CONVERSATIONS.items():
            messages = [{"role": role, "content": content} for role, content in turns]
            result = {"pieces": pieces(template, messages, system)}
            for cutoff in CUTOFFS:
                data_args.cutoff_len = cutoff
                processor = SupervisedDatasetProcessor(template=template, tokenizer=tokenizer, processor=None,
                                                       data_args=data_args)
                input_ids, labels = processor._encode_data_example(messages[:-1], messages[-1:], system, "", [], [],
                                                                   [])
                result[f"cutoff{cutoff}"] = {"input_ids": input_ids, "labels": labels}
            prompt_ids, _ = template.encode_oneturn(tokenizer, messages[:-1] + [{"role": "assistant", "content": ""}],
                                                    system, "")
            result["prompt_ids"] = prompt_ids
            cases[case] = result
        fixtures[name] = {"eos_token": tokenizer.eos_token, "cases": cases}
    conversations = {case: {"system": system, "turns": [{"role": r, "content": c} for r, c in turns]}
                     for case, (system, turns) in CONVERSATIONS.items()}
    with open(HERE / "expected.json", "w", encoding="utf-8") as out:
        # one line a template (the ids make long lines; the file stays small)
        out.write("{\"conversations\": " + json.dumps(conversations, ensure_ascii=False) + ",\n")
        out.write("\"cutoffs\": " + json.dumps(CUTOFFS) + ",\n\"templates\": {\n")
        out.write(",\n".join(json.dumps(name, ensure_ascii=False) + ": " + json.dumps(fixture, ensure_ascii=False)
                              for name, fixture in fixtures.items()))
        out.write("}}\n")


if __name__ == "__main__":
    main()
