"""``mixbuddy compare``: is system A really better than system B on the same records?

Both prediction files are scored against one dataset and every headline number is given for A, for B
and as A − B, with a *paired* song-bootstrap CI of the difference: each resample draws the same songs
for both systems, so what the songs share (some are harder for everyone) cancels, and the interval is
far narrower than the two systems' own CIs side by side. ``p`` is the two-sided bootstrap p-value, twice
the share of resamples on the far side of 0 (at most 1). For the accuracies the discordant counts
are given too: samples A gets right and B wrong, and the reverse (McNemar's table, pooled over songs).

A difference whose CI holds 0 is not shown to be a difference by these records, whichever way it points.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io import write_json, write_text
from .inputs import SUBSET_HINT, load_answers, load_truth
from .metrics import (HEADLINE_KEYS, cluster_weights, few_songs_warning, headline_ratios, per_sample, percentile_ci,
                      resampled_ratios, table1_cells)

# per-sample "right" indicator and the samples it counts over, for the discordant counts
_HITS = {"joint_accuracy": ("both", None), "stem_accuracy": ("stem_hit", "err"),
         "direction_accuracy": ("dir_hit", "err"), "magnitude_accuracy": ("mag", "err"),
         "no_error_accuracy": ("said_ok", "ok")}


def compare(dataset: str | Path, pred_a: str | Path, pred_b: str | Path, names: tuple[str, str] = ("A", "B"),
            n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> dict:
    """Headline numbers of A and B and their paired differences (JSON-ready; fractions, not %)."""
    truth = load_truth(dataset)
    samples = []
    ratios = []
    for path in (pred_a, pred_b):
        answers = load_answers(path, truth, missing_hint=f"both systems must answer every record; {SUBSET_HINT}, "
                                                          "and cut the other system's file to it with "
                                                          "scripts/subset_predictions.py")
        s = per_sample(truth, answers)
        samples.append(s)
        ratios.append({k: v for k, v in headline_ratios(s, table1_cells(truth, answers, s)).items()
                       if k in HEADLINE_KEYS})
    keys = [k for k in HEADLINE_KEYS if ratios[0][k][1].sum() > 0 and ratios[1][k][1].sum() > 0]
    n_songs = int(truth.song.max()) + 1
    weights = cluster_weights(n_songs, n_boot, seed) if n_boot > 0 else None
    boot = [resampled_ratios({k: r[k] for k in keys}, truth.song, weights) if weights is not None else None
            for r in ratios]
    rows = {}
    for j, k in enumerate(keys):
        va, vb = (float(r[k][0].sum() / r[k][1].sum()) for r in ratios)
        row = {"a": va, "b": vb, "diff": va - vb, "ci95": [None, None], "p": None}
        if weights is not None:
            d = boot[0][:, j] - boot[1][:, j]
            d = d[np.isfinite(d)]
            row["ci95"] = percentile_ci(d, level)
            row["p"] = float(min(1.0, 2 * min(np.mean(d <= 0), np.mean(d >= 0)))) if d.size else None
        if k in _HITS:
            hit, over = _HITS[k]
            mask = np.ones(len(truth.ids), bool) if over is None else (
                samples[0].is_err > 0 if over == "err" else samples[0].is_err == 0)
            ha, hb = (np.nan_to_num(getattr(s, hit))[mask] > 0 for s in samples)
            row["a_only"], row["b_only"] = int((ha & ~hb).sum()), int((hb & ~ha).sum())
        rows[k] = row
    return {"dataset": str(dataset), "a": {"name": names[0], "predictions": str(pred_a)},
            "b": {"name": names[1], "predictions": str(pred_b)}, "n": len(truth.ids), "n_songs": n_songs,
            "bootstrap": {"resamples": n_boot, "seed": seed, "unit": "song", "paired": True, "level": level},
            "metrics": rows}


def render_markdown(res: dict) -> str:
    a, b = res["a"]["name"], res["b"]["name"]
    unit = lambda k: "dB" if k == "mean_abs_db_error" else "%"  # noqa: E731
    scale = lambda k, x: x if k == "mean_abs_db_error" else 100 * x  # noqa: E731
    lines = [f"# {a} − {b}", "",
             f"{res['n']} records of `{res['dataset']}` ({res['n_songs']} songs); paired song bootstrap, "
             f"{res['bootstrap']['resamples']} resamples, seed {res['bootstrap']['seed']}.", "",
             *few_songs_warning(res["n_songs"]),
             f"| metric | {a} | {b} | {a} − {b} | 95% CI of the difference | p | right only in {a} / only in {b} |",
             "|---|---|---|---|---|---|---|"]
    for k, r in res["metrics"].items():
        lo, hi = r["ci95"]
        ci = "—" if lo is None else f"[{scale(k, lo):+.2f}, {scale(k, hi):+.2f}]"
        p = "—" if r["p"] is None else f"{r['p']:.3f}"
        disc = f"{r['a_only']} / {r['b_only']}" if "a_only" in r else ""
        lines.append(f"| {k} ({unit(k)}) | {scale(k, r['a']):.2f} | {scale(k, r['b']):.2f} | "
                     f"{scale(k, r['diff']):+.2f} | {ci} | {p} | {disc} |")
    return "\n".join(lines) + "\n"


def compare_files(dataset: str | Path, pred_a: str | Path, pred_b: str | Path, output: str | Path | None,
                  names: tuple[str, str] | None = None, n_boot: int = 2000, seed: int = 0) -> dict:
    """:func:`compare`, written to ``output``.json and ``output``.md when given (atomically)."""
    names = names or (Path(pred_a).stem, Path(pred_b).stem)
    res = compare(dataset, pred_a, pred_b, names, n_boot, seed)
    if output is not None:
        out = Path(output)
        write_json(out.with_suffix(".json"), res)
        write_text(out.with_suffix(".md"), render_markdown(res))
    return res
