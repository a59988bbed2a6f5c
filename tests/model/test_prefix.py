"""The shared prompt start read once per generation batch (mixbuddy.model.prefix)."""
from __future__ import annotations

import pytest
import torch

from model_helpers import write_tiny_qwen2
from mixbuddy.data.templates import SYSTEM_PROMPT, render_instruction
from mixbuddy.model.alm import AudioLanguageModel
from mixbuddy.model.config import LLMConfig
from mixbuddy.model.llm import load_llm
from mixbuddy.model.prefix import MIN_SHARED, shared_start, start_first

A = 99  # the stop id (an audio placeholder) in the hand-made rows below


def _rows(*rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Left-padded ids (pad 0) and mask."""
    width = max(map(len, rows))
    ids = torch.tensor([[0] * (width - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    return ids, mask


def test_shared_start_counts_past_the_padding_and_stops_at_the_first_difference() -> None:
    ids, mask = _rows([5, 6, 7, 8, 1, 2], [5, 6, 7, 9], [5, 6, 7, 8, 3])
    assert shared_start(ids, mask, A) == 3


def test_shared_start_stops_at_the_audio_placeholder_and_leaves_every_row_a_token() -> None:
    ids, mask = _rows([5, 6, A, A, 1], [5, 6, A, A, 1])   # same ids, but each row's own audio
    assert shared_start(ids, mask, A) == 2
    ids, mask = _rows([5, 6, 7], [5, 6, 7, 8])
    assert shared_start(ids, mask, A) == 2                 # the shorter row keeps its last token
    ids, mask = _rows([5, 6], [4, 6])
    assert shared_start(ids, mask, A) == 0


def test_start_first_moves_each_rows_padding_after_the_shared_start() -> None:
    ids, mask = _rows([1, 2, 3, 4], [1, 2, 5, 6, 7, 8])
    x = torch.stack([ids, ids * 10], dim=-1)              # a trailing feature axis moves with its column
    got, got_mask = start_first(x, mask, 2)
    assert got[..., 0].tolist() == [[1, 2, 0, 0, 3, 4], [1, 2, 5, 6, 7, 8]]
    assert got[..., 1].tolist() == [[10, 20, 0, 0, 30, 40], [10, 20, 50, 60, 70, 80]]
    assert got_mask.tolist() == [[1, 1, 0, 0, 1, 1], [1, 1, 1, 1, 1, 1]]


@pytest.fixture(scope="module")
def alm(tmp_path_factory: pytest.TempPathFactory) -> AudioLanguageModel:
    model, tok = load_llm(LLMConfig(name_or_path=str(write_tiny_qwen2(tmp_path_factory.mktemp("tiny_prefix")))))
    return AudioLanguageModel(model, tok)


def _batch(alm: AudioLanguageModel):
    specs = [([4], "mix", None, render_instruction(["bass", "drums", "other", "vocals"], "bass", "instr/4")),
             ([2, 3], "stems", ["bass", "vocals"], "Short?"), ([7], "mix", None, "Q")]
    exs = [alm.prompts.build(SYSTEM_PROMPT, ins, c, None, mode=m, clip_names=nm) for c, m, nm, ins in specs]
    g = torch.Generator().manual_seed(0)
    audio = [torch.randn(n, alm.hidden_size, generator=g) for c, *_ in specs for n in c]
    return alm.batch(exs, for_generation=True), audio


def test_generation_reads_the_shared_start_once_and_answers_as_before(alm: AudioLanguageModel) -> None:
    b, audio = _batch(alm)
    k = shared_start(b["input_ids"], b["attention_mask"], alm.audio_id)
    assert k >= MIN_SHARED and bool((b["attention_mask"] == 0).any())  # a shared start, rows of other lengths
    read: list[tuple[int, int]] = []
    hook = alm.llm.get_base_model().model.register_forward_hook(
        lambda m, a, kw, out: read.append(tuple((kw["inputs_embeds"] if kw.get("inputs_embeds") is not None
                                                 else kw["input_ids"]).shape[:2])), with_kwargs=True)
    try:
        alm.share_start = False
        before = alm.generate_ids(b["input_ids"], b["attention_mask"], audio, b["audio_positions"], max_new_tokens=12)
        plain = list(read)
        read.clear()
        alm.share_start = True
        after = alm.generate_ids(b["input_ids"], b["attention_mask"], audio, b["audio_positions"], max_new_tokens=12)
    finally:
        hook.remove()
        alm.share_start = True
    width = b["input_ids"].shape[1]
    assert plain[0] == (3, width)                         # every row read whole
    assert read[:2] == [(1, k), (3, width - k)]           # the start once, then each row's own part
    assert after == before and all(len(r) > 0 for r in after)


def test_the_shared_start_leaves_the_first_answer_tokens_scores_unchanged(alm: AudioLanguageModel) -> None:
    b, audio = _batch(alm)
    alm.eval()
    embeds = alm.embed(b["input_ids"], audio, b["audio_positions"])
    mask = b["attention_mask"]
    k = shared_start(b["input_ids"], mask, alm.audio_id)
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        whole = alm.llm(inputs_embeds=embeds, attention_mask=mask, position_ids=pos).logits[:, -1]
        moved, moved_mask = start_first(embeds, mask, k)
        moved_pos = (moved_mask.cumsum(-1) - 1).clamp(min=0)
        first = alm.llm(inputs_embeds=moved[:1, :k], attention_mask=moved_mask[:1, :k], use_cache=True)
        cache = first.past_key_values
        cache.batch_repeat_interleave(len(moved))
        rest = alm.llm(inputs_embeds=moved[:, k:], attention_mask=moved_mask, position_ids=moved_pos[:, k:],
                       past_key_values=cache).logits[:, -1]
    torch.testing.assert_close(rest, whole, atol=1e-4, rtol=1e-4)
