"""Rewrite the ``confidence`` of a model's predictions file as ``mixbuddy predict`` now reports it: P(imbalance)
over the targets the instruction allows (renormalised without the anchor and the stems the mix lacks; the
number the verdict's threshold tests), where predictions made before 2026-12-03 hold 1 - P(no error) over
all 13 classes. Texts and ``p_answer`` do not change (the verdict and ``answer_probability`` already
renormalised), so a long synthetic run need not be generated again.

The head's probabilities are recomputed (no LLM: ~30-55 s for 3,300 records) and checked first: every old
confidence and p_answer must be reproduced from them to 2e-6, else nothing is written (a file already
refreshed is recognised and left as it is). Prints the gap
between the two numbers and how many answers say "balanced" while the stated P(imbalance) is at or above
the model's threshold, before and after (docs/BENCHMARKS.md, "Scores"). Check the result against a fresh
``mixbuddy predict --limit N`` run (byte-identical lines). ::

    python scripts/refresh_confidence.py --checkpoint default --dataset work/ds-real/test.jsonl \\
        --predictions work/preds/real/model-default-test.jsonl
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.evaluate.parse import parse_advice
from mixbuddy.findings import answer_probability, target_stems
from mixbuddy.io import dumps
from mixbuddy.model.checkpoint import load_checkpoint
from mixbuddy.model.heads import class_names
from mixbuddy.model.verdict import allowed_from_names, decide, p_imbalance
from mixbuddy.predict.calibrate import head_probabilities

TOL = 2e-6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--predictions", required=True, help="rewritten in place (atomically)")
    ap.add_argument("--cache-dir", default="work/cache")
    a = ap.parse_args()
    model = load_checkpoint(a.checkpoint, device="cpu").eval()
    rows = [json.loads(line) for line in Path(a.predictions).read_text(encoding="utf-8").splitlines() if line.strip()]
    by_id = {r.id: r for r in load_recipes(a.dataset)}
    missing = [r["id"] for r in rows if r["id"] not in by_id]
    if missing:
        sys.exit(f"{a.predictions}: {len(missing)} ids not in {a.dataset}, e.g. {missing[0]}")
    records = [by_id[r["id"]] for r in rows]
    probs = head_probabilities(model, records, open_renderer(a.dataset, model.sample_rate, 1, a.cache_dir))
    allowed = allowed_from_names([target_stems(r.anchor, r.stems) for r in records])
    new = p_imbalance(torch.from_numpy(probs), allowed).double().numpy()
    names = class_names()
    stated = np.array([r["confidence"] for r in rows], dtype=np.float64)
    err_old, err_new = np.abs(stated - (1.0 - probs[:, 0])).max(), np.abs(stated - new).max()
    err_ans = max(abs(r["p_answer"] - answer_probability(dict(zip(names, p.tolist())), parse_advice(r["text"]).primary,
                                                         target_stems(rec.anchor, rec.stems)))
                  for r, rec, p in zip(rows, records, probs))
    done = err_new <= TOL
    print(f"{a.predictions}: {len(rows)} answers; the recomputed head reproduces their confidence as "
          f"{'renormalised (already refreshed)' if done else '1 - P(no error)'} to {min(err_old, err_new):.1e}, "
          f"p_answer to {err_ans:.1e}")
    if min(err_old, err_new) > TOL or err_ans > TOL:
        sys.exit(f"{a.predictions}: the recomputed head does not reproduce the file (tolerance {TOL}): nothing written")
    th = model.stack.threshold or 0.0
    balanced = np.array([parse_advice(r["text"]).primary.no_error for r in rows])
    rule_says_balanced = decide(torch.from_numpy(probs), allowed).numpy() == 0
    odd = balanced & (new >= th)
    if not done:
        gap = np.abs(new - stated)
        print(f"  |old - new| confidence: mean {gap.mean():.4f}, max {gap.max():.4f}; answers 'balanced' with stated "
              f"P(imbalance) >= {th}: {int((balanced & (stated >= th)).sum())} before, {int(odd.sum())} after")
    print(f"  now {int(odd.sum())} 'balanced' answers state P(imbalance) >= {th}; for {int((odd & rule_says_balanced).sum())} of "
          "them the head's rule itself says balanced (P(no error) beats every stem-direction pair), the rest "
          "are the LLM not following the verdict")
    if done:
        return
    tmp = Path(a.predictions + ".tmp")
    tmp.write_text("".join(dumps({**r, "confidence": round(float(c), 6)}) + "\n" for r, c in zip(rows, new)),
                   encoding="utf-8")
    tmp.replace(a.predictions)


if __name__ == "__main__":
    main()
