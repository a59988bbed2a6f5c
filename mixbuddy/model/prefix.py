"""One prefill for the prompt text every row of a generation batch starts with.

Every prompt of a batch opens with the same system prompt and chat markup (82 of a stems-mode prompt's 233
tokens, 78 of a mix-mode prompt's 154 for the shipped models): the LLM need not read it once per row. The
shared start is read once, in a batch of one, and its key/value cache repeated over the batch; ``generate``
then reads only what follows (transformers continues from a given cache).

Rows are left-padded to one length. So that the shared start sits in the same columns in every row, each
row's padding moves from before its prompt to just after the shared start (:func:`start_first`). In exact
arithmetic nothing the model computes changes: the padding stays masked out, and the position ids, which
``generate`` counts from the attention mask, stay those of the left-padded row. In floating point the shipped
models' answers on the real test set are the same bytes (``benchmarks/predict_shared_start.py``).
"""
from __future__ import annotations

from typing import Any

import torch

MIN_SHARED = 8
"""A shorter shared start is read per row, as before: a separate call would save a few tokens per row at most."""


def _pads(attention_mask: torch.Tensor) -> torch.Tensor:
    """Each left-padded row's padding columns."""
    return attention_mask.shape[1] - attention_mask.to(torch.bool).sum(dim=1)


def shared_start(input_ids: torch.Tensor, attention_mask: torch.Tensor, stop_id: int) -> int:
    """How many tokens every left-padded row begins with, up to its first ``stop_id`` (an audio placeholder:
    one id, but each row's own audio) and leaving each row at least one token of its own."""
    pads = _pads(attention_mask)
    lengths = attention_mask.shape[1] - pads
    if bool((lengths == 0).any()):
        return 0
    n = int(lengths.min()) - 1
    rows = torch.stack([input_ids[i, int(p):int(p) + n] for i, p in enumerate(pads.tolist())])
    same = (rows == rows[:1]).all(dim=0) & (rows[0] != stop_id)
    differ = (~same).nonzero()
    return int(differ[0]) if len(differ) else n


def start_first(x: torch.Tensor, attention_mask: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``x`` (B, T, ...) and the mask with each row's left padding moved to just after its first ``k``
    prompt tokens: ``[pad pad a b c d]`` → ``[a b pad pad c d]`` for ``k = 2``."""
    p = _pads(attention_mask).unsqueeze(1)
    cols = torch.arange(attention_mask.shape[1], device=attention_mask.device).expand(len(p), -1)
    order = torch.where(cols < k, cols + p, torch.where(cols < k + p, cols - k, cols))
    index = order.view(*order.shape, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, index), attention_mask.gather(1, order)


def start_cache(llm: Any, embeds: torch.Tensor, attention_mask: torch.Tensor, k: int) -> Any:
    """The key/value cache of the first ``k`` positions of row 0, repeated for every row."""
    out = llm(inputs_embeds=embeds[:1, :k], attention_mask=attention_mask[:1, :k], use_cache=True)
    cache = out.past_key_values
    cache.batch_repeat_interleave(embeds.shape[0])
    return cache


__all__ = ["MIN_SHARED", "shared_start", "start_first", "start_cache"]
