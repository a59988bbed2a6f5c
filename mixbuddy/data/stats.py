"""Summaries of a built dataset: counts by split/category/target/anchor and a gain histogram."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from ..constants import CATEGORY_NAMES, STEMS
from ..errors import DataError
from .build import split_rank
from .recipe import load_recipes

HIST_EDGES: tuple[float, ...] = (-12, -9, -6, -4.5, -3, 0, 3, 4.5, 6, 9, 12)


def dataset_stats(out_dir: str | Path) -> dict:
    """Per split: record/chunk/song counts, counts by category/target/anchor, gain summaries."""
    out_dir = Path(out_dir)
    if not out_dir.exists():
        raise DataError(f"{out_dir}: dataset folder not found")
    if not out_dir.is_dir():
        hint = f" (here: {out_dir.parent})" if out_dir.suffix.lower() in (".jsonl", ".json") else ""
        raise DataError(f"{out_dir}: is a file; pass the dataset folder, not a file{hint}")
    files = sorted(out_dir.glob("*.jsonl"), key=lambda p: split_rank(p.stem))
    if not files:
        raise DataError(f"{out_dir}: no <split>.jsonl files found; build a dataset with `mixbuddy data build`")
    stats: dict = {}
    for path in files:
        recs = load_recipes(path)
        gains = np.array([r.gain_db for r in recs], dtype=np.float64)
        per_cat = {}
        for c in CATEGORY_NAMES:
            g = np.array([r.gain_db for r in recs if r.category == c])
            per_cat[c] = ({"n": int(g.size), "min": float(g.min()), "mean": float(g.mean()), "max": float(g.max())}
                          if g.size else {"n": 0})
        nonzero = gains[gains != 0]
        hist = np.histogram(nonzero, bins=np.array(HIST_EDGES))[0] if nonzero.size else np.zeros(len(HIST_EDGES) - 1)
        stats[path.stem] = {
            "records": len(recs),
            "songs": len({r.song_id for r in recs}),
            "chunks": len({(r.song_id, r.start_s) for r in recs}),
            "category": dict(Counter(r.category for r in recs)),
            "target": dict(Counter(r.target for r in recs)),
            "anchor": dict(Counter(r.anchor for r in recs)),
            "gain_by_category": per_cat,
            "gain_histogram": {"edges": list(HIST_EDGES), "counts": [int(x) for x in hist],
                               "zero": int((gains == 0).sum())},
        }
        levels = np.array(list({(r.song_id, r.start_s): r.bounce_db for r in recs}.values()))
        if levels.any():      # a set built with --bounce-db: the level each chunk is heard at
            stats[path.stem]["bounce_db"] = {"min": float(levels.min()), "mean": float(levels.mean()),
                                             "max": float(levels.max())}
    return stats


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.rjust(w) if j else c.ljust(w) for j, (c, w) in enumerate(zip(r, widths))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_stats(stats: dict) -> str:
    """Plain-text tables (one column per split)."""
    splits = list(stats)
    rows = [["", *splits]]
    rows.append(["records", *(str(stats[s]["records"]) for s in splits)])
    rows.append(["songs", *(str(stats[s]["songs"]) for s in splits)])
    rows.append(["chunks", *(str(stats[s]["chunks"]) for s in splits)])
    for key, names in (("category", CATEGORY_NAMES), ("target", STEMS), ("anchor", STEMS)):
        for n in names:
            if any(stats[s][key].get(n) for s in splits):
                rows.append([f"{key}={n}", *(str(stats[s][key].get(n, 0)) for s in splits)])
    out = [_table(rows), "", "applied gain (dB) by category: n / min / mean / max"]
    grows = [["category", *splits]]
    # fixed-width fields, so each column's slashes line up (a -11.85 beside a -5.93)
    nw = {s: max(len(str(stats[s]["gain_by_category"][c]["n"])) for c in CATEGORY_NAMES) for s in splits}
    for c in CATEGORY_NAMES:
        cells = []
        for s in splits:
            d = stats[s]["gain_by_category"][c]
            cells.append(f"{d['n']:>{nw[s]}} / {d['min']:+6.2f} / {d['mean']:+6.2f} / {d['max']:+6.2f}"
                         if d["n"] else "0")
        grows.append([c, *cells])
    out += [_table(grows), "", "gain histogram (records per bin, 0 dB counted apart)"]
    edges = stats[splits[0]]["gain_histogram"]["edges"]
    hrows = [["bin (dB)", *splits]]
    for i in range(len(edges) - 1):
        close = "]" if i == len(edges) - 2 else ")"
        hrows.append([f"[{edges[i]:+g}, {edges[i + 1]:+g}{close}",
                      *(str(stats[s]["gain_histogram"]["counts"][i]) for s in splits)])
    hrows.append(["0 (no error)", *(str(stats[s]["gain_histogram"]["zero"]) for s in splits)])
    out.append(_table(hrows))
    if any("bounce_db" in stats[s] for s in splits):
        b = [stats[s].get("bounce_db") for s in splits]
        out += ["", "level each chunk is heard at (bounce_db, dB): min / mean / max", _table(
            [["", *splits], ["bounce_db", *(f"{d['min']:+.2f} / {d['mean']:+.2f} / {d['max']:+.2f}" if d else "0"
                                            for d in b)]])]
    return "\n".join(out)
