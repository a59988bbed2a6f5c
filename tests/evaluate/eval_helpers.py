"""Helpers of the evaluation tests: a balanced synthetic dataset (the paper's enumeration) and
prediction writers."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mixbuddy.constants import CATEGORIES, TARGET_STEMS
from mixbuddy.data import templates as T


def make_records(n_songs: int = 2, chunks_per_song: int = 1, seed: int = 0) -> list[dict]:
    """30 records per chunk: 3 anchors x 2 targets x 5 categories, gains uniform in each category."""
    rng = np.random.default_rng(seed)
    out = []
    for s in range(n_songs):
        for c in range(chunks_per_song):
            for anchor in TARGET_STEMS:
                for target in (x for x in TARGET_STEMS if x != anchor):
                    for k, cat in enumerate(CATEGORIES):
                        if cat.is_error:
                            lo, hi = cat.magnitude
                            g = float(rng.uniform(lo, hi - 1e-6)) * (-1 if cat.direction == "increase" else 1)
                        else:
                            g = 0.0
                        ids = T.response_ids(cat.name)
                        tid = ids[(s + c + k + len(out)) % len(ids)]
                        out.append({"id": f"song{s}@{c * 10000}:{target}:{anchor}:{cat.name}:0", "song_id": f"song{s}",
                                    "split": "test", "start_s": 10.0 * c, "duration_s": 10.0, "target": target,
                                    "anchor": anchor, "category": cat.name, "gain_db": g,
                                    "response": T.render_response(cat.name, target, anchor, tid),
                                    "instruction": "Is the balance right?"})
    return out


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
