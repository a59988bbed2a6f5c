"""From the aux head's 13 class probabilities to one decision (the *verdict* the LLM verbalises).

The decision that maximises joint (stem + direction) accuracy compares P(no error) with the best
(target, direction) mass, summed over that direction's categories; the magnitude is then the most
probable category of the chosen pair (as the ``loudness-stems`` Bayes baseline decides). Targets the
instruction rules out (the anchor; a stem absent from the input) are removed and the rest renormalised.
With a ``threshold``, an imbalance the rule declares is kept only when P(imbalance) >= threshold (else
"balanced"): raising it trades joint accuracy for recognising more balanced mixes, exactly as the
trade-off curve of every evaluation report moves (threshold 0 = the rule itself).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from ..constants import CATEGORY_BY_NAME, TARGET_STEMS
from .heads import ERROR_CATEGORIES, NUM_CLASSES, decode_class, labels_from_recipe

_N_CAT = len(ERROR_CATEGORIES)
_UP = torch.tensor([c in ("very_quiet", "quiet") for c in ERROR_CATEGORIES])   # direction "increase"


def allowed_from_anchor(anchor: Tensor) -> Tensor:
    """(B,) anchor indices (``heads.anchor_index``; ``len(TARGET_STEMS)`` = none) -> (B, 3) allowed targets."""
    stems = torch.arange(len(TARGET_STEMS), device=anchor.device)
    return stems[None, :] != anchor[:, None]


def allowed_targets(anchor: Tensor | None, present: Tensor | None = None) -> Tensor | None:
    """(B,) anchor indices and/or (B, 3) bool stems the mix holds -> (B, 3) bool targets an answer may
    name (None when neither is given: every target)."""
    allowed = None if anchor is None else allowed_from_anchor(anchor)
    if present is not None:
        present = present.to(anchor.device if anchor is not None else present.device)
        allowed = present if allowed is None else allowed & present
    return allowed


def renormalise(probs: Tensor, allowed: Tensor | None = None) -> Tensor:
    """(B, 13) class probabilities restricted to "no error" and the ``allowed`` (B, 3) targets, renormalised
    (the posterior every decision and every reported confidence is read from)."""
    p = probs.float()
    if allowed is None:
        return p
    keep = torch.cat([torch.ones_like(allowed[:, :1]), allowed.repeat_interleave(_N_CAT, dim=1)], dim=1)
    p = p * keep.to(p.dtype)
    return p / p.sum(-1, keepdim=True).clamp_min(1e-12)


def p_imbalance(probs: Tensor, allowed: Tensor | None = None) -> Tensor:
    """(B,) P(imbalance) over the targets the instruction allows: the number the verdict's threshold tests
    and the confidence a model reports."""
    return 1.0 - renormalise(probs, allowed)[:, 0]


def pair_mass(p: Tensor, allowed: Tensor | None = None) -> Tensor:
    """(B, 13) renormalised probabilities -> (B, 3, 2) mass of each (target, direction: increase, decrease)
    pair, summed over that direction's categories; -1 for a target that is not allowed."""
    per = p[:, 1:].reshape(p.shape[0], len(TARGET_STEMS), _N_CAT)
    up = _UP.to(p.device)
    mass = torch.stack([(per * up).sum(-1), (per * ~up).sum(-1)], dim=-1)
    return mass if allowed is None else mass.masked_fill(~allowed[..., None], -1.0)


def allowed_from_names(targets: Sequence[Sequence[str]]) -> Tensor:
    """(B, 3) bool allowed targets from the stem names allowed per record (e.g. ``findings.target_stems``)."""
    return torch.tensor([[s in ts for s in TARGET_STEMS] for ts in targets], dtype=torch.bool)


def decide(probs: Tensor, allowed: Tensor | None = None, threshold: float | None = None) -> Tensor:
    """(B, 13) class probabilities (+ (B, 3) bool allowed targets) -> (B,) decided class indices."""
    p = renormalise(probs, allowed)
    per = p[:, 1:].reshape(p.shape[0], len(TARGET_STEMS), _N_CAT)                 # (B, target, category)
    up = _UP.to(p.device)
    mass = pair_mass(p, allowed)
    best = mass.flatten(1).argmax(-1)                                              # target * 2 + direction
    t, d = best // 2, best % 2
    in_dir = torch.where(d[:, None] == 0, up[None, :], ~up[None, :])
    cat = per[torch.arange(p.shape[0]), t].masked_fill(~in_dir, -1.0).argmax(-1)
    declare = mass.flatten(1).max(-1).values > p[:, 0]
    if threshold is not None:
        declare = declare & (1.0 - p[:, 0] >= threshold)      # = p_imbalance(probs, allowed) >= threshold
    return torch.where(declare, 1 + t * _N_CAT + cat, torch.zeros_like(cat))


def decide_batch(probs: np.ndarray, targets: Sequence[Sequence[str]], threshold: float | None = None) -> np.ndarray:
    """NumPy convenience: allowed targets given by name per record."""
    allowed = allowed_from_names(targets)
    return decide(torch.as_tensor(probs), allowed, threshold).numpy()


def stem_dir(c: int) -> tuple[str, bool] | None:
    """What joint accuracy compares for a class: (target stem, too quiet?); None = no error."""
    t, cat = decode_class(int(c))
    return None if t is None else (t, cat in ("quiet", "very_quiet"))


def headline(records: Sequence, classes: np.ndarray) -> dict[str, float]:
    """Quick joint / stem / direction / no-error / magnitude (%) of decided classes against recipes (for
    probes; the reference scorer is ``mixbuddy evaluate`` on generated text)."""
    joint, ok, stem, dirn, mag = [], [], [], [], []
    for r, c in zip(records, classes):
        target, category = decode_class(int(c))
        joint.append(stem_dir(int(c)) == stem_dir(labels_from_recipe(r)))
        if r.category == "no_error":
            ok.append(target is None)
        else:
            said, true = CATEGORY_BY_NAME[category], CATEGORY_BY_NAME[r.category]
            stem.append(target == r.target)
            dirn.append(target is not None and said.direction == true.direction)
            mag.append(target is not None and said.magnitude == true.magnitude)
    pct = lambda v: 100.0 * float(np.mean(v)) if v else float("nan")  # noqa: E731
    return {"joint": pct(joint), "stem": pct(stem), "direction": pct(dirn), "no_error": pct(ok), "magnitude": pct(mag)}


__all__ = ["decide", "decide_batch", "allowed_from_anchor", "allowed_targets", "allowed_from_names", "renormalise", "p_imbalance", "pair_mass", "headline", "stem_dir", "NUM_CLASSES"]
