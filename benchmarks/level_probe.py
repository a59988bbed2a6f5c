"""Probe: how much do the parameter-free band-level statistics (``aux.levels``) of the stems, or of the mix,
tell a gradient-boosting classifier about the 13 aux classes? 4,000 seeded training recipes, 600 seeded
validation recipes of work/ds-synth; prints 13-class accuracy (1,000 and 4,000 training recipes) and the
joint stem+direction accuracy of the 4,000-recipe classifier.

    python benchmarks/level_probe.py stems   # or: mix
"""
import sys
import time

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier

from mixbuddy.constants import STEMS
from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.model.audio import BandLevels
from mixbuddy.model.heads import anchor_index, labels_from_recipe
from head_probe import stem_dir  # noqa: E402  (same folder: run as python benchmarks/level_probe.py)

SR, N = 16000, 160000


def level_rows(recs, renderer, levels: BandLevels, mode: str, augment: bool = False) -> np.ndarray:
    """(records, clips, level_dim) level statistics of each rendered record (the mix, or every stem)."""
    rows = []
    for r in recs:
        out = renderer.render(r, augment=augment, return_stems=mode == "stems")
        if mode == "stems":
            w = np.stack([out.stems[s][:N, 0] if s in out.stems else np.zeros(N, np.float32) for s in STEMS])
        else:
            w = out.mix[None, :N, 0]
        x = torch.from_numpy(np.ascontiguousarray(w))
        rows.append(levels(x, torch.full((x.shape[0],), x.shape[1])).numpy())
    return np.array(rows)


def features(recs, renderer, levels: BandLevels, mode: str) -> np.ndarray:
    """Flattened level statistics + a one-hot of the anchor, per record."""
    lv = level_rows(recs, renderer, levels, mode)
    return np.concatenate([lv.reshape(len(recs), -1), np.eye(4)[[anchor_index(r.anchor) for r in recs]]], axis=1)


def main(mode: str) -> None:
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    tr = load_recipes("work/ds-synth/train.jsonl")
    va = load_recipes("work/ds-synth/validation.jsonl")
    tr = [tr[i] for i in rng.permutation(len(tr))[:4000]]
    va = [va[i] for i in rng.permutation(len(va))[:600]]
    renderer = open_renderer("work/ds-synth/train.jsonl", SR, 1, "work/cache")
    levels = BandLevels(SR, 32)
    t0 = time.time()
    a, b = features(tr, renderer, levels, mode), features(va, renderer, levels, mode)
    print(f"features: {time.time() - t0:.0f} s", flush=True)
    ya = np.array([labels_from_recipe(r) for r in tr])
    yb = np.array([labels_from_recipe(r) for r in va])
    for n in (1000, 4000):
        clf = HistGradientBoostingClassifier(max_iter=300).fit(a[:n], ya[:n])
        pred = clf.predict(b)
        print(f"{mode}, {n} training recipes: 13-class accuracy {100 * np.mean(pred == yb):.1f}%", flush=True)
    print(f"joint stem+direction: {100 * np.mean([stem_dir(p) == stem_dir(t) for p, t in zip(pred, yb)]):.1f}%")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "stems")
