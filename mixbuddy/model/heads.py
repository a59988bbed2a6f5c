"""Auxiliary classifier on the audio tokens: a direct supervised signal for the audio side.

Classes (13): ``no_error`` + every (target, error category) pair, target in ``TARGET_STEMS``
order, category in ``CATEGORIES`` order without ``no_error``::

    0 no_error, 1 bass/very_quiet, 2 bass/quiet, 3 bass/loud, 4 bass/very_loud, 5 drums/very_quiet, ...

Input: the tokens of one or more clips in a fixed slot order (``clips``: ``["mix"]`` for the
``mix`` mode, e.g. ``["bass", "drums", "other", "vocals"]`` for the ``stems`` mode). Each clip is
summarised by masked mean and standard deviation over its tokens, projected to ``hidden`` and
given a learned clip-name embedding; the slots are concatenated (order carries stem identity),
an embedding of the anchor stem is added (the anchor is named in the text, so the head may use it),
and an MLP gives the logits. ``P(error) = 1 - softmax(logits)[no_error]`` is a confidence score.

``level_norm``: the level statistics are standardised per clip slot and feature with a mean and
standard deviation fitted once on the training features (:meth:`AuxHead.fit_level_norm`, stage 1) and
stored with the head as buffers (needed when the features have different scales, e.g. ``full``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import torch
from torch import Tensor, nn

from ..constants import CATEGORIES, TARGET_STEMS
from .audio_config import CLIP_NAMES

ERROR_CATEGORIES: tuple[str, ...] = tuple(c.name for c in CATEGORIES if c.is_error)
NUM_CLASSES = 1 + len(TARGET_STEMS) * len(ERROR_CATEGORIES)


def class_names() -> list[str]:
    """Class index -> name: ``no_error`` then ``"<target>/<category>"``."""
    return ["no_error"] + [f"{t}/{c}" for t in TARGET_STEMS for c in ERROR_CATEGORIES]


def class_index(target: str | None, category: str) -> int:
    """The class of a (target, category) pair; ``no_error`` ignores the target."""
    if category == "no_error":
        return 0
    if target not in TARGET_STEMS or category not in ERROR_CATEGORIES:
        raise ValueError(f"no aux class for target={target!r}, category={category!r}")
    return 1 + TARGET_STEMS.index(target) * len(ERROR_CATEGORIES) + ERROR_CATEGORIES.index(category)


def labels_from_recipe(recipe: Mapping[str, Any] | Any) -> int:
    """Class index of a recipe (a ``Recipe`` or its dict: needs ``target`` and ``category``)."""
    get = recipe.get if isinstance(recipe, Mapping) else lambda k: getattr(recipe, k)
    return class_index(get("target"), get("category"))


def decode_class(index: int) -> tuple[str | None, str]:
    """Inverse of :func:`class_index`: (target or None, category)."""
    if index == 0:
        return None, "no_error"
    t, c = divmod(int(index) - 1, len(ERROR_CATEGORIES))
    return TARGET_STEMS[t], ERROR_CATEGORIES[c]


def anchor_index(anchor: str | None) -> int:
    """Index into the anchor embedding: ``TARGET_STEMS`` order, ``len(TARGET_STEMS)`` = unknown/none."""
    return len(TARGET_STEMS) if anchor is None else TARGET_STEMS.index(anchor)


@dataclass
class AuxOutput:
    logits: Tensor                  # (B, NUM_CLASSES)
    loss: Tensor | None             # mean CE when labels were given

    @property
    def probs(self) -> Tensor:
        return torch.softmax(self.logits.float(), dim=-1)

    @property
    def p_error(self) -> Tensor:
        """(B,) probability that some stem is out of balance."""
        return 1.0 - self.probs[:, 0]


def _masked_stats(x: Tensor, mask: Tensor) -> Tensor:
    """(..., N, D), (..., N) -> (..., 2D): masked mean and std over N."""
    m = mask.to(x.dtype)[..., None]
    n = m.sum(-2).clamp_min(1.0)
    mean = (x * m).sum(-2) / n
    var = ((x - mean[..., None, :]).square() * m).sum(-2) / n
    return torch.cat([mean, torch.sqrt(var + 1e-6)], dim=-1)


class AuxHead(nn.Module):
    """Tokens of ``len(clips)`` clips -> 13-way logits (optionally anchor-conditioned)."""

    def __init__(self, in_dim: int, hidden: int = 256, clips: Sequence[str] = ("mix",), anchor: bool = True,
                 dropout: float = 0.1, level_dim: int = 0, level_norm: bool = False):
        super().__init__()
        self.level_dim = int(level_dim)
        self.level_norm = bool(level_norm)
        if self.level_norm:
            if not self.level_dim:
                raise ValueError("level_norm standardises level features: the head needs level_dim > 0")
            self.register_buffer("level_mean", torch.zeros(len(clips), self.level_dim))
            self.register_buffer("level_std", torch.ones(len(clips), self.level_dim))
        self.levels = nn.Sequential(nn.Linear(self.level_dim, hidden), nn.GELU()) if self.level_dim else None
        bad = [c for c in clips if c not in CLIP_NAMES]
        if bad or not clips:
            raise ValueError(f"aux head clips must be drawn from {list(CLIP_NAMES)}, got {list(clips)}")
        self.clips = tuple(clips)
        if not in_dim and not self.level_dim:
            raise ValueError("aux head needs token features (in_dim > 0), level features (level_dim > 0) or both")
        self.summary = (nn.Sequential(nn.LayerNorm(2 * in_dim), nn.Linear(2 * in_dim, hidden), nn.GELU())
                        if in_dim else None)
        self.clip_emb = nn.Parameter(torch.zeros(len(self.clips), hidden))
        nn.init.normal_(self.clip_emb, std=0.02)
        width = hidden * len(self.clips)
        self.anchor_emb = nn.Embedding(len(TARGET_STEMS) + 1, width) if anchor else None
        self.mlp = nn.Sequential(nn.Dropout(dropout), nn.Linear(width, hidden), nn.GELU(),
                                 nn.Linear(hidden, NUM_CLASSES))

    @torch.no_grad()
    def fit_level_norm(self, levels: Tensor) -> None:
        """Fit the standardisation on training level features (N, [C,] level_dim)."""
        if not self.level_norm:
            raise ValueError("this aux head was built without level_norm")
        lv = levels.reshape(levels.shape[0], -1, self.level_dim).float()
        if lv.shape[1] != len(self.clips) or lv.shape[0] < 2:
            raise ValueError(f"fit_level_norm needs >= 2 examples of {len(self.clips)} clip(s), got {tuple(levels.shape)}")
        self.level_mean.copy_(lv.mean(0))
        self.level_std.copy_(lv.std(0).clamp_min(1e-3))

    def forward(self, tokens: Tensor | None, mask: Tensor | None, anchor: Tensor | None = None,
                labels: Tensor | None = None, levels: Tensor | None = None) -> AuxOutput:
        """tokens (B, N, D) for one clip or (B, C, N, D) for C clips in ``clips`` order; mask alike
        (both None for a levels-only head, built with ``in_dim=0``).

        levels: (B, [C,] level_dim) fixed level statistics per clip (heads built with ``level_dim``).
        anchor: (B,) long from :func:`anchor_index` (ignored when the head has no anchor embedding);
        labels: (B,) long class indices -> mean cross-entropy in ``loss``.
        """
        z = self.clip_emb
        if self.summary is not None:
            if tokens is None or mask is None:
                raise ValueError("this aux head reads audio tokens: pass tokens and mask")
            if tokens.dim() == 3:
                tokens, mask = tokens[:, None], mask[:, None]
            if tokens.shape[1] != len(self.clips):
                raise ValueError(f"aux head expects {len(self.clips)} clip(s) {list(self.clips)}, got {tokens.shape[1]}")
            z = self.summary(_masked_stats(tokens.float(), mask)) + z                   # (B, C, H)
        if self.levels is not None:
            if levels is None:
                raise ValueError("this aux head was built with level features: pass levels")
            lv = levels.reshape(levels.shape[0], -1, self.level_dim)
            if lv.shape[1] != len(self.clips):
                raise ValueError(f"aux head expects levels of {len(self.clips)} clip(s), got {lv.shape[1]}")
            lv = lv.float()
            if self.level_norm:
                lv = (lv - self.level_mean.float()) / self.level_std.float()
            z = z + self.levels(lv)
        z = z.flatten(1)
        if self.anchor_emb is not None:
            if anchor is None:
                anchor = torch.full((z.shape[0],), len(TARGET_STEMS), dtype=torch.long, device=z.device)
            z = z + self.anchor_emb(anchor.to(z.device))
        logits = self.mlp(z)
        loss = nn.functional.cross_entropy(logits, labels.to(logits.device)) if labels is not None else None
        return AuxOutput(logits, loss)
