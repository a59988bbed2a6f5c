"""Diagnostic: a model and a baseline compared at the same no-error recall.

The shipped models say "balanced" below a P(imbalance) threshold chosen on validation; the baselines decide
by the joint-optimal rule with no threshold and so recognise fewer balanced mixes, while claiming more
imbalances (which stem, direction and magnitude accuracy reward). This puts the baseline at the model's
operating point: it raises the baseline's own threshold on the confidence its predictions state (an answer
below it becomes "balanced", as ``mixbuddy evaluate``'s trade-off curve does) to the lowest value at which
the baseline recognises at least as many balanced mixes as the model, and scores both with the evaluator's
metrics. Nothing is chosen for the model: it keeps its shipped operating point. ::

    python benchmarks/matched_point.py --dataset work/ds-synth/test.jsonl \\
        --model work/preds/synth/model-default-test.jsonl --baseline work/preds/synth/mix-features.jsonl
"""
import argparse
from dataclasses import replace

import numpy as np

from mixbuddy.evaluate.inputs import answers_from_findings, load_answers, load_truth
from mixbuddy.evaluate.metrics import headline_ratios, per_sample, table1_cells
from mixbuddy.findings import Finding

KEYS = [("joint_accuracy", "joint"), ("stem_accuracy", "stem"), ("direction_accuracy", "direction"),
        ("magnitude_accuracy", "magnitude"), ("no_error_accuracy", "no-error")]


def headline(truth, answers) -> dict[str, float]:
    s = per_sample(truth, answers)
    ratios = headline_ratios(s, table1_cells(truth, answers, s))
    return {k: 100.0 * float(num.sum() / den.sum()) for k, (num, den) in ratios.items() if den.sum() > 0}


def demoted(answers, threshold: float):
    """The answers with every claim stated below ``threshold`` turned into "balanced"."""
    conf = answers.confidence
    findings = [Finding(no_error=True) if f is not None and not f.no_error and c < threshold else f
                for f, c in zip(answers.findings, conf)]
    return replace(answers_from_findings(findings, conf), texts=answers.texts)


def matched(truth, answers, recall: float) -> tuple[float, dict[str, float]]:
    """(threshold, headline) of the lowest threshold at which no-error recall reaches ``recall`` (binary
    search: recall only grows with the threshold)."""
    claims = np.isfinite(answers.confidence) & ~answers.no_error & answers.answered
    grid = np.concatenate([[-np.inf], np.unique(answers.confidence[claims]) + 1e-12])
    lo, hi = 0, len(grid) - 1      # at grid[hi] every claim is demoted: the highest recall the baseline has
    while lo < hi:
        mid = (lo + hi) // 2
        if headline(truth, demoted(answers, grid[mid]))["no_error_accuracy"] >= recall:
            hi = mid
        else:
            lo = mid + 1
    return float(grid[lo]), headline(truth, demoted(answers, grid[lo]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--model", required=True, help="the model's predictions (at its shipped operating point)")
    ap.add_argument("--baseline", required=True, help="a baseline's predictions, with a confidence per answer")
    a = ap.parse_args()
    truth = load_truth(a.dataset)
    model = headline(truth, load_answers(a.model, truth))
    base = load_answers(a.baseline, truth)
    th, at = matched(truth, base, model["no_error_accuracy"])
    rows = [("model (shipped operating point)", model), ("baseline, no threshold", headline(truth, base)),
            (f"baseline at threshold {th:.4f} (matched no-error recall)", at)]
    print(f"{a.dataset}: {len(truth.ids)} records\n  model    {a.model}\n  baseline {a.baseline}")
    print("| | " + " | ".join(n for _, n in KEYS) + " |\n|---|" + "---|" * len(KEYS))
    for name, h in rows:
        print(f"| {name} | " + " | ".join(f"{h[k]:.2f}" for k, _ in KEYS) + " |")
    wins = [n for k, n in KEYS if k != "no_error_accuracy" and model[k] > at[k]]
    print(f"model above the matched baseline on: {', '.join(wins) or 'nothing'}")


if __name__ == "__main__":
    main()
