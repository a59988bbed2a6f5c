"""Prompt building: placeholder expansion, label masking, padding (tiny BPE tokenizer and real SmolLM2)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from model_helpers import build_tiny_tokenizer, smollm2_gguf_or_skip
from mixbuddy.data.templates import SYSTEM_PROMPT, render_instruction, render_response
from mixbuddy.model.config import AUDIO_TOKEN
from mixbuddy.model.prompt import IGNORE_INDEX, PromptBuilder, collate, user_text

INSTR = render_instruction(["bass", "drums", "other", "vocals"], "drums", "instr/1")
RESP = render_response("very_loud", "vocals", "drums", "very_loud/1")


class _Model:
    """Just enough of a model for add_special_tokens (embedding rows)."""

    def __init__(self, n: int):
        self.emb = torch.nn.Embedding(n, 8)

    def get_input_embeddings(self):
        return self.emb

    def get_output_embeddings(self):
        return None

    def resize_token_embeddings(self, n: int, mean_resizing: bool = False):
        old = self.emb
        self.emb = torch.nn.Embedding(n, 8)
        self.emb.weight.data[: old.num_embeddings] = old.weight.data


def _prepared(tok):
    from mixbuddy.model.llm import add_special_tokens

    add_special_tokens(_Model(len(tok)), tok, AUDIO_TOKEN)
    return PromptBuilder(tok)


@pytest.fixture(scope="module")
def tiny_builder() -> PromptBuilder:
    return _prepared(build_tiny_tokenizer())


@pytest.fixture(scope="module")
def smol_builder() -> PromptBuilder:
    from transformers import AutoTokenizer

    path: Path = smollm2_gguf_or_skip()
    return _prepared(AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name))


def _check(builder: PromptBuilder, clip_tokens: list[int], mode: str, names: list[str] | None) -> None:
    tok = builder.tokenizer
    ex = builder.build(SYSTEM_PROMPT, INSTR, clip_tokens, RESP, mode=mode, clip_names=names)
    ids, labels = ex.input_ids, ex.labels
    assert len(ids) == len(labels)
    # placeholders: exactly sum(clip_tokens), in contiguous spans of the requested sizes
    assert sum(t == builder.audio_id for t in ids) == sum(clip_tokens)
    assert [e - s for s, e in ex.audio_positions] == clip_tokens
    for s, e in ex.audio_positions:
        assert all(t == builder.audio_id for t in ids[s:e])
        assert all(label == IGNORE_INDEX for label in labels[s:e])
    # supervision: one contiguous block = response + end-of-turn token, nothing else
    sup = [i for i, lab in enumerate(labels) if lab != IGNORE_INDEX]
    assert sup == list(range(sup[0], sup[-1] + 1))
    assert [ids[i] for i in sup] == [labels[i] for i in sup]
    assert labels[sup[-1]] == builder.end_id
    assert tok.decode([ids[i] for i in sup]) == RESP + tok.convert_ids_to_tokens(builder.end_id)
    assert tok.decode([ids[i] for i in sup], skip_special_tokens=True) == RESP
    # the generation prompt is the training prefix, token for token
    gen = builder.build(SYSTEM_PROMPT, INSTR, clip_tokens, None, mode=mode, clip_names=names)
    assert gen.input_ids == ids[: sup[0]]
    assert gen.audio_positions == ex.audio_positions
    assert all(label == IGNORE_INDEX for label in gen.labels)
    assert tok.decode(gen.input_ids).endswith("assistant\n")


@pytest.mark.parametrize("n", [1, 7, 32, 749])
def test_mix_placeholder_counts_and_labels(tiny_builder: PromptBuilder, n: int) -> None:
    _check(tiny_builder, [n], "mix", None)


@pytest.mark.parametrize("counts", [[5, 5, 5, 5], [1, 20, 3], [749, 2]])
def test_stems_several_clips(tiny_builder: PromptBuilder, counts: list[int]) -> None:
    names = ["bass", "drums", "other", "vocals"][: len(counts)]
    _check(tiny_builder, counts, "stems", names)
    text = tiny_builder.tokenizer.decode(tiny_builder.build("s", "i", [1] * len(counts), mode="stems",
                                                            clip_names=names).input_ids)
    assert "bass: " + AUDIO_TOKEN in text and ("drums: " + AUDIO_TOKEN) in text


def test_real_smollm2_tokenizer(smol_builder: PromptBuilder) -> None:
    assert smol_builder.tokenizer.convert_ids_to_tokens(smol_builder.end_id) == "<|im_end|>"
    _check(smol_builder, [25], "mix", None)
    _check(smol_builder, [3, 9, 4], "stems", ["bass", "drums", "vocals"])


def test_user_text_layouts() -> None:
    assert user_text("Q?") == f"{AUDIO_TOKEN}\nQ?"
    assert user_text("Q?", "stems", ["bass", "other"]) == f"bass: {AUDIO_TOKEN}\nother instruments: {AUDIO_TOKEN}\nQ?"
    with pytest.raises(ValueError, match="clip_names"):
        user_text("Q?", "stems")
    with pytest.raises(ValueError, match="unknown prompt mode"):
        user_text("Q?", "song")


def test_build_rejects_bad_input(tiny_builder: PromptBuilder) -> None:
    with pytest.raises(ValueError, match="special token"):
        tiny_builder.build("s", f"look {AUDIO_TOKEN}", [3])
    with pytest.raises(ValueError, match="special token"):
        tiny_builder.build("s", "i", [3], response="ok<|im_end|>")
    with pytest.raises(ValueError, match="at least one"):
        tiny_builder.build("s", "i", [0])
    with pytest.raises(ValueError, match=r"mode 'mix' takes one clip, got names \['mix', 'mix'\]"):
        tiny_builder.build("s", "i", [3, 4])
    with pytest.raises(ValueError, match="clip names"):
        tiny_builder.build("s", "i", [3, 4], mode="stems", clip_names=["bass"])


@pytest.mark.parametrize("side", ["right", "left"])
def test_collate_padding_never_supervised(tiny_builder: PromptBuilder, side: str) -> None:
    exs = [tiny_builder.build(SYSTEM_PROMPT, INSTR, [n], RESP if side == "right" else None) for n in (3, 40, 11)]
    b = collate(exs, tiny_builder.pad_id, side)
    width = max(len(e) for e in exs)
    assert b["input_ids"].shape == b["labels"].shape == b["attention_mask"].shape == (3, width)
    for row, e in enumerate(exs):
        mask = b["attention_mask"][row].bool()
        assert int(mask.sum()) == len(e)
        assert bool(mask[-1] if side == "left" else mask[0])  # padding on the requested side
        assert b["input_ids"][row][mask].tolist() == e.input_ids
        assert b["labels"][row][mask].tolist() == e.labels
        assert (b["labels"][row][~mask] == IGNORE_INDEX).all()
        assert (b["input_ids"][row][~mask] == tiny_builder.pad_id).all()
        for s, t in b["audio_positions"][row]:
            assert (b["input_ids"][row, s:t] == tiny_builder.audio_id).all()
        assert sum(t - s for s, t in b["audio_positions"][row]) == int((b["input_ids"][row] == tiny_builder.audio_id).sum())


def test_build_recipe_modes(tiny_builder: PromptBuilder) -> None:
    from mixbuddy.data.recipe import Recipe

    r = Recipe(id="x", song_id="s", split="test", start_s=0.0, duration_s=10.0, target="vocals", anchor="drums",
               category="very_loud", gain_db=7.0, instruction_id="instr/1", response_id="very_loud/1",
               system=SYSTEM_PROMPT, instruction=INSTR, response=RESP, stems=("bass", "drums", "other", "vocals"),
               corpus="t")
    mix = tiny_builder.build_recipe(r, [6])
    assert [e - s for s, e in mix.audio_positions] == [6]
    stems = tiny_builder.build_recipe(r, [2, 3, 4, 5], mode="stems", with_response=False)
    assert [e - s for s, e in stems.audio_positions] == [2, 3, 4, 5]
    assert all(label == IGNORE_INDEX for label in stems.labels)
