"""Markdown table of how far the stated numbers can be trusted, from committed evaluation reports:
per report, the confidence in the verdict (from P(imbalance)) and P(right) (p_answer): mean stated,
how often right, ECE, and the share of answers stated at >= 0.9 with how often those are right.

    python scripts/reliability_table.py reports/models/synth-test/default-stems reports/baselines/synth/loudness-stems ...
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def _cells(rel: dict | None) -> str:
    if not rel:
        return "— | — | —"
    top = [r for r in rel["rows"] if r["bin"][0] >= 0.9]
    n_top = sum(r["n"] for r in top)
    right_top = sum(r["n"] * r["joint_accuracy"] for r in top) / n_top if n_top else float("nan")
    return (f"{rel['mean_confidence']:.2f} | {rel['ece']:.3f} | "
            f"{100 * n_top / rel['n']:.0f}% → {100 * right_top:.1f}%")


def main(folders: list[str]) -> None:
    print("| report | n | right (joint) | confidence: mean | ECE | ≥ 0.9 → right | P(right): mean | ECE | ≥ 0.9 → right |")
    print("|---|---|---|---|---|---|---|---|---|")
    for f in folders:
        m = json.loads((Path(f) / "metrics.json").read_text(encoding="utf-8"))
        rel = m.get("reliability") or m.get("answer_reliability")
        if rel is None:
            continue
        name = f"{Path(f).parent.name}/{Path(f).name}"
        print(f"| {name} | {rel['n']} | {100 * rel['joint_accuracy']:.1f}% | {_cells(m.get('reliability'))} | "
              f"{_cells(m.get('answer_reliability'))} |")


if __name__ == "__main__":
    main(sys.argv[1:])
