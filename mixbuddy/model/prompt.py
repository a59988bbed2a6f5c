"""Chat prompts with audio placeholders, expanded to exactly one position per audio token.

The user turn carries one placeholder token per clip: ``<|audio|>\\n{instruction}`` for mode
``mix`` (the flawed mix; the instruction names the stems and the anchor) and
``bass: <|audio|>\\ndrums: <|audio|>\\n...\\n{instruction}`` for mode ``stems``. The conversation is
rendered with the tokenizer's own chat template and tokenised; then each placeholder id is
repeated ``n_tokens`` times, the number of embeddings the audio side produces for that clip
(LLaVA / Qwen2-Audio style). The model later overwrites exactly those positions, so no pad or
placeholder embedding ever reaches the LLM (the reference implementation had 750 slots for 749
frames).

Labels: -100 everywhere except the assistant's response tokens and the end-of-turn token that
closes it (``<|im_end|>`` for Qwen2/SmolLM2); what the template appends after it (a newline) is
not supervised. The generation prompt is the training prefix, token for token.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import torch

from ..data.templates import STEM_DISPLAY
from .config import AUDIO_TOKEN

IGNORE_INDEX = -100
MODES = ("mix", "stems")


@dataclass
class PromptExample:
    """One tokenised conversation. ``audio_positions[k] = (start, end)``: clip k fills ids[start:end]."""

    input_ids: list[int]
    labels: list[int]
    audio_positions: list[tuple[int, int]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.input_ids)


def user_text(instruction: str, mode: str = "mix", clip_names: Sequence[str] | None = None,
              audio_token: str = AUDIO_TOKEN) -> str:
    """The user turn with one placeholder per clip (see the module docstring for the layout).

    Mode "mix" with ``clip_names=[]`` gives a text-only turn."""
    if mode == "mix":
        if clip_names is not None and len(clip_names) > 1:
            raise ValueError(f"mode 'mix' takes one clip, got names {list(clip_names)}")
        if clip_names is not None and len(clip_names) == 0:
            return instruction  # text only (no audio): LLM-only sanity checks and baselines
        return f"{audio_token}\n{instruction}"
    if mode == "stems":
        if not clip_names:
            raise ValueError("mode 'stems' needs the stem name of every clip (clip_names)")
        lines = [f"{STEM_DISPLAY.get(n, n)}: {audio_token}" for n in clip_names]
        return "\n".join(lines) + "\n" + instruction
    raise ValueError(f"unknown prompt mode {mode!r}; expected one of {list(MODES)}")


class PromptBuilder:
    """Turns (system, instruction, clips, response) into token ids, labels and audio spans."""

    def __init__(self, tokenizer: Any, audio_token: str = AUDIO_TOKEN):
        self.tokenizer = tokenizer
        self.audio_token = audio_token
        ids = tokenizer.encode(audio_token, add_special_tokens=False)
        if len(ids) != 1 or audio_token not in tokenizer.get_vocab():
            raise ValueError(f"{audio_token!r} is not a single special token of this tokenizer "
                             "(load the tokenizer with mixbuddy.model.llm.load_llm)")
        self.audio_id = int(ids[0])
        if tokenizer.pad_token_id is None:
            raise ValueError("the tokenizer has no pad token (load it with mixbuddy.model.llm.load_llm)")
        self.pad_id = int(tokenizer.pad_token_id)
        self.special_ids = frozenset(int(i) for i in tokenizer.all_special_ids)
        self.special_tokens = tuple(tokenizer.all_special_tokens)
        self.end_id = self._find_end_id()

    def _find_end_id(self) -> int:
        """The end-of-turn token: the special token that the template puts right after a reply."""
        ex = self._tokenise("s", "u", "ok", None)
        sup = [t for t in ex.labels if t != IGNORE_INDEX]
        return int(sup[-1])

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _tokenise(self, system: str, instruction: str, response: str | None,
                  clip_names: Sequence[str] | None, mode: str = "mix") -> PromptExample:
        """Render the chat template and tokenise: prefix (system + user + assistant header) and completion."""
        tok = self.tokenizer
        if clip_names is None:  # used by _find_end_id: no audio
            user = instruction
        else:
            user = user_text(instruction, mode, clip_names, self.audio_token)
        msgs = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        prefix = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        ids = self._encode(prefix)
        labels = [IGNORE_INDEX] * len(ids)
        if response is None:
            return PromptExample(ids, labels)
        full = tok.apply_chat_template(msgs + [{"role": "assistant", "content": response}], tokenize=False)
        if not full.startswith(prefix) or response not in full[len(prefix):]:
            raise ValueError("the chat template does not render the reply right after the generation prompt; "
                             "this tokenizer's template is not supported")
        completion = self._encode(full[len(prefix):])
        end = next((i for i, t in enumerate(completion) if t in self.special_ids), None)
        if end is None:
            raise ValueError("the chat template closes the reply without a special end-of-turn token")
        comp_labels = completion[:end + 1] + [IGNORE_INDEX] * (len(completion) - end - 1)
        return PromptExample(ids + completion, labels + comp_labels)

    def build(self, system: str, instruction: str, clip_tokens: Sequence[int], response: str | None = None,
              mode: str = "mix", clip_names: Sequence[str] | None = None) -> PromptExample:
        """Tokenise one conversation.

        ``clip_tokens[k]`` is the number of audio embeddings of clip k (``num_tokens(num_samples)`` of
        the audio side); mode "stems" needs ``clip_names`` in the same order. With ``response`` the
        example is a training example (labels on the response + end-of-turn token); without it, the
        generation prompt (all labels -100, ends with the assistant header).
        """
        for name, text in (("system", system), ("instruction", instruction), ("response", response or "")):
            bad = [t for t in self.special_tokens if t in text]
            if bad:
                raise ValueError(f"the {name} text contains special token(s) {bad}: {text!r}")
        if mode == "mix" and clip_names is None:
            clip_names = ["mix"] * len(clip_tokens)
        if clip_names is None or len(clip_names) != len(clip_tokens):
            raise ValueError(f"{len(clip_tokens)} clip token counts for clip names {clip_names}")
        if any(int(n) < 1 for n in clip_tokens):
            raise ValueError(f"every clip needs at least one audio token, got {list(clip_tokens)}")
        ex = self._tokenise(system, instruction, response, clip_names, mode)
        return self._expand(ex, [int(n) for n in clip_tokens])

    def _expand(self, ex: PromptExample, clip_tokens: list[int]) -> PromptExample:
        """Repeat the k-th placeholder id ``clip_tokens[k]`` times and record the spans."""
        slots = [i for i, t in enumerate(ex.input_ids) if t == self.audio_id]
        if len(slots) != len(clip_tokens):
            raise ValueError(f"prompt has {len(slots)} audio placeholders for {len(clip_tokens)} clips")
        ids: list[int] = []
        labels: list[int] = []
        spans: list[tuple[int, int]] = []
        prev = 0
        for slot, n in zip(slots, clip_tokens):
            ids += ex.input_ids[prev:slot]
            labels += ex.labels[prev:slot]
            spans.append((len(ids), len(ids) + n))
            ids += [self.audio_id] * n
            labels += [IGNORE_INDEX] * n
            prev = slot + 1
        ids += ex.input_ids[prev:]
        labels += ex.labels[prev:]
        return PromptExample(ids, labels, spans)

    def build_recipe(self, recipe: Any, clip_tokens: Sequence[int], mode: str = "mix",
                     with_response: bool = True, clip_names: Sequence[str] | None = None) -> PromptExample:
        """``build`` from a :class:`mixbuddy.data.recipe.Recipe` (stems mode: clips in ``recipe.stems`` order
        unless ``clip_names`` says otherwise)."""
        if mode == "stems" and clip_names is None:
            clip_names = list(recipe.stems)
        return self.build(recipe.system, recipe.instruction, clip_tokens,
                          recipe.response if with_response else None, mode, clip_names)


def collate(examples: Sequence[PromptExample], pad_id: int, padding_side: str = "right") -> dict[str, Any]:
    """Pad a batch: right padding for training, left padding for generation.

    Returns ``input_ids``, ``attention_mask``, ``labels`` (LongTensors ``(B, T)``; padding has
    attention 0 and label -100) and ``audio_positions`` (per example, the spans shifted by its padding).
    """
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'right' or 'left', got {padding_side!r}")
    if not examples:
        raise ValueError("cannot collate an empty batch")
    width = max(len(e) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    positions: list[list[tuple[int, int]]] = []
    for b, e in enumerate(examples):
        n = len(e)
        off = width - n if padding_side == "left" else 0
        ids[b, off:off + n] = torch.tensor(e.input_ids, dtype=torch.long)
        labels[b, off:off + n] = torch.tensor(e.labels, dtype=torch.long)
        mask[b, off:off + n] = 1
        positions.append([(s + off, t + off) for s, t in e.audio_positions])
    return {"input_ids": ids, "attention_mask": mask, "labels": labels, "audio_positions": positions}
