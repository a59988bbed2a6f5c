"""Sanity floors and the ceiling: ``random``, ``majority`` and ``oracle-stems``.

Expected values on the enumeration protocol (anchor named, target one of the other two target
stems, five categories equally likely):

* random: category uniform over 5, target uniform over the allowed targets. Joint = 0.2·0.2 (says
  "no change" on a balanced mix) + 0.8·(0.5 stem · 0.4 right direction) = 20%; no-error recall 20%;
  magnitude range 20% (its stated range is the right one 1 time in 5, on error samples).
* majority: always the most frequent (target, category) label of the training split that is allowed
  for the record; on a balanced test set this is about one category in five as well.
* oracle-stems: sees the clean stems and the flawed mix, solves the gain exactly: 100% on everything
  (it validates the chain data → render → text → parse → metrics).
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

import numpy as np

from ...constants import CATEGORY_NAMES, category_of
from ...data.recipe import Recipe
from ...data.render import Renderer
from ...rng import rng_for
from .common import advice_text, allowed_targets, map_records


def predict_random(records: Sequence[Recipe], seed: int = 0) -> list[dict]:
    out = []
    for r in records:
        rng = rng_for(seed, "random-baseline", r.id)
        cat = CATEGORY_NAMES[int(rng.integers(len(CATEGORY_NAMES)))]
        targets = allowed_targets(r) or (r.target,)
        t = targets[int(rng.integers(len(targets)))]
        out.append({"id": r.id, "text": advice_text(r, cat == "no_error", t, cat, seed), "confidence": 0.8})
    return out


def predict_majority(records: Sequence[Recipe], train: Sequence[Recipe], seed: int = 0) -> list[dict]:
    counts = Counter((r.category, r.target) for r in train)
    # most frequent first; ties broken by name so the choice is deterministic
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    if not ranked:
        ranked = [("no_error", "vocals")]
    out = []
    for r in records:
        allowed = allowed_targets(r)
        cat, t = next(((c, t) for c, t in ranked if c == "no_error" or t in allowed), ranked[0])
        out.append({"id": r.id, "text": advice_text(r, cat == "no_error", t, cat, seed),
                    "confidence": 0.0 if cat == "no_error" else 1.0})
    return out


def oracle_gain(clean: dict[str, np.ndarray], mix: np.ndarray,
                candidates: tuple[str, ...] | None = None) -> tuple[str | None, float]:
    """(target, applied gain dB) that explains ``mix`` from the clean stems; (None, 0) if balanced.

    For each candidate stem t, least squares ``mix ≈ s·Σ_{others} + s·a·clean_t`` (s absorbs any
    uniform peak scaling); gain = 20·log10(a). Among candidates that fit equally well (e.g. only two
    stems sound, so "vocals −9 dB" and "drums +9 dB, everything −9 dB" are the same mix) the one
    needing the least uniform scaling wins.
    """
    y = mix.astype(np.float64).ravel()
    xs = {t: x.astype(np.float64).ravel() for t, x in clean.items()}
    total = np.sum(list(xs.values()), axis=0)
    tt, ty, yy = total @ total, total @ y, y @ y
    fits = []
    for t, b in xs.items():
        if candidates is not None and t not in candidates:
            continue
        bb, tb, by = b @ b, total @ b, b @ y
        if bb == 0.0:
            continue
        # normal equations of the 2-column least squares with a = total - b
        G = np.array([[tt - 2 * tb + bb, tb - bb], [tb - bb, bb]])
        rhs = np.array([ty - by, by])
        try:
            coef = np.linalg.solve(G, rhs)
        except np.linalg.LinAlgError:
            continue
        if coef[0] > 0 and coef[1] > 0:
            fits.append((float(yy - coef @ rhs), abs(math.log(coef[0])), t, 20.0 * math.log10(coef[1] / coef[0])))
    if not fits:
        return None, 0.0
    best_res = min(f[0] for f in fits)
    tied = [f for f in fits if f[0] <= best_res + 1e-9 * yy]
    _, _, t, g = min(tied, key=lambda f: f[1])
    if abs(g) < 0.05:
        return None, 0.0
    return t, g


def _oracle_one(renderer: Renderer, r: Recipe) -> dict:
    clean = renderer.window(r)
    mix = renderer.render(r).mix
    t, g = oracle_gain(clean, mix, allowed_targets(r))
    if t is None:
        return {"id": r.id, "text": advice_text(r, True, None, "no_error", 0), "confidence": 0.0}
    g = float(np.clip(g, -12.0, 12.0))
    cat = category_of(g).name
    return {"id": r.id, "text": advice_text(r, False, t, cat, 0, gain_db=g), "confidence": 1.0}


def predict_oracle(records: Sequence[Recipe], renderer: Renderer, workers: int | None = None) -> list[dict]:
    return map_records(_oracle_one, renderer, records, workers, desc="oracle-stems")
