"""Diagnostic: the P(imbalance) a model reports (1 - P(no error) over all 13 classes) against the one its
verdict's threshold tests (renormalised over the stems the instruction allows: not the anchor, not a stem
the mix lacks). Prints, over a dataset, the mean and largest gap between the two, and, for a predictions file
of that model on the dataset, how many answers say "balanced" while the reported P(imbalance) is at or above
the model's threshold (docs/BENCHMARKS.md, "Scores").

    python benchmarks/confidence_gap.py --checkpoint default --dataset work/ds-real/test.jsonl \
        --predictions work/preds/real/model-default-test.jsonl
"""
import argparse
import json

import numpy as np

from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.evaluate.parse import parse_advice
from mixbuddy.findings import target_stems
from mixbuddy.model.checkpoint import load_checkpoint
from mixbuddy.model.heads import ERROR_CATEGORIES, class_names
from mixbuddy.predict.calibrate import head_probabilities


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--predictions", default=None)
    ap.add_argument("--cache-dir", default="work/cache")
    a = ap.parse_args()
    model = load_checkpoint(a.checkpoint, device="cpu").eval()
    records = load_recipes(a.dataset)
    probs = head_probabilities(model, records, open_renderer(a.dataset, model.sample_rate, 1, a.cache_dir))
    names = class_names()
    keep = np.array([[n == "no_error" or n.split("/")[0] in target_stems(r.anchor, r.stems) for n in names]
                     for r in records])
    assert probs.shape[1] == 1 + 3 * len(ERROR_CATEGORIES)
    renorm = probs * keep
    renorm /= renorm.sum(1, keepdims=True)
    gap = np.abs(renorm[:, 0] - probs[:, 0])
    print(f"{a.checkpoint} on {a.dataset}: {len(records)} records; |reported - renormalised| P(imbalance): "
          f"mean {gap.mean():.4f}, max {gap.max():.4f}")
    if a.predictions:
        th = model.stack.threshold or 0.0
        rows = [json.loads(line) for line in open(a.predictions, encoding="utf-8")]
        n = sum(parse_advice(r["text"]).primary.no_error and r["confidence"] >= th for r in rows)
        print(f"{a.predictions}: {n} of {len(rows)} answers say 'balanced' with reported P(imbalance) >= {th}")


if __name__ == "__main__":
    main()
