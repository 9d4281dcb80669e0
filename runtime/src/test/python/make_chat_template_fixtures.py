#!/usr/bin/env python3
"""Renders every chat-templates/*.jinja as transformers' apply_chat_template does (its own render_jinja_template:
Jinja2's sandbox, trim_blocks and lstrip_blocks on, raise_exception) and writes chat-templates/expected.json, which
ChatTemplateTest compares peft4j's rendering with.

    python3 runtime/src/test/python/make_chat_template_fixtures.py

Each template renders every prefix of every conversation below, with and without the generation prompt; a
rendering the template refuses (raise_exception) is recorded with its message. The conversations' roles are the
three peft4j's data has (system, user, assistant).
"""

import json
import pathlib

from jinja2.exceptions import TemplateError
from transformers.utils.chat_template_utils import render_jinja_template

HERE = pathlib.Path(__file__).resolve().parents[1] / "resources" / "chat-templates"
BOS, EOS = "<s>", "</s>"

CONVERSATIONS = {
    # A system prompt, user text with spaces around it (templates that trim show it), two exchanges.
    "twoExchanges": [("system", "Be brief."), ("user", "What is 2 + 2?"), ("assistant", "4"),
                     ("user", " Reverse: abc "), ("assistant", "cba")],
    # No system prompt; text over several lines, a trailing newline, characters outside ASCII and Jinja syntax in
    # the content (which must stay text).
    "multiline": [("user", "Line one\nline two\n"), ("assistant", "Grüße 👋\n{{ 7 * 7 }} {% if x %}"),
                  ("user", "Again?"), ("assistant", "  yes  ")],
    # Reasoning in an answer, as Qwen3's template splits it off (and drops it from answers before the last query).
    "reasoning": [("user", "What is 3 * 3?"), ("assistant", "<think>\n3 + 3 + 3\n</think>\n\n9"),
                  ("user", "And 4 * 4?"), ("assistant", "16")],
}


def main():
    renderings = {}
    for path in sorted(HERE.glob("*.jinja")):
        template = path.read_text(encoding="utf-8")
        cases = []
        for name, turns in CONVERSATIONS.items():
            messages = [{"role": role, "content": content} for role, content in turns]
            for length in range(1, len(messages) + 1):
                for generation_prompt in (False, True):
                    case = {"conversation": name, "turns": length, "add_generation_prompt": generation_prompt}
                    try:
                        rendered, _ = render_jinja_template(conversations=[messages[:length]], chat_template=template,
                                                            add_generation_prompt=generation_prompt,
                                                            bos_token=BOS, eos_token=EOS)
                        case["text"] = rendered[0]
                    except TemplateError as e:
                        case["error"] = str(e)
                    cases.append(case)
        renderings[path.stem] = cases
    conversations = {name: [{"role": role, "content": content} for role, content in turns]
                     for name, turns in CONVERSATIONS.items()}
    expected = {"bos_token": BOS, "eos_token": EOS, "conversations": conversations, "renderings": renderings}
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
