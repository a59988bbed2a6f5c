"""Diagnostic (validation split): two families of operating points for a model's hard verdict, compared at the
same no-error recall. ``threshold``: demote an imbalance to "balanced" when the head's P(imbalance) < t (what
the models ship). ``ratio``: say "balanced" when P(no error) * (1 + w) >= the best stem-and-direction mass
(the per-record optimal trade between expected joint accuracy and recognised balanced mixes). Prints, for
every w, the ratio rule's headline numbers next to the threshold family's, interpolated at the same
no-error recall (docs/BENCHMARKS.md, "Another family of operating points").

    python benchmarks/rule_family.py --checkpoint default-stems --dataset work/ds-synth/validation.jsonl
"""
import argparse

import numpy as np
import torch

from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.findings import target_stems
from mixbuddy.model.checkpoint import load_checkpoint
from mixbuddy.model.verdict import allowed_from_names, decide, headline, pair_mass, renormalise
from mixbuddy.predict.calibrate import head_probabilities

KEYS = ("joint", "stem", "direction", "magnitude")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--cache-dir", default="work/cache")
    a = ap.parse_args()
    model = load_checkpoint(a.checkpoint, device="cpu").eval()
    recs = load_recipes(a.dataset)
    probs = torch.from_numpy(head_probabilities(model, recs, open_renderer(a.dataset, model.sample_rate, 1, a.cache_dir)))
    allowed = allowed_from_names([target_stems(r.anchor, r.stems) for r in recs])
    rule = decide(probs, allowed)                                  # joint-optimal rule, no threshold
    p = renormalise(probs, allowed)
    best = pair_mass(p, allowed).flatten(1).max(-1).values
    keep = lambda m: headline(recs, torch.where(m, rule, torch.zeros_like(rule)).numpy())  # noqa: E731
    thr = [keep(1 - p[:, 0] >= t) for t in np.arange(0.40, 0.90, 0.01)]
    xs = np.array([h["no_error"] for h in thr])
    order = np.argsort(xs)
    print(f"{a.checkpoint} on {a.dataset}: {len(recs)} records; joint / stem / direction / magnitude (%)")
    print("  w     no-error | ratio rule                  | threshold rule at that no-error recall")
    for w in np.arange(0.0, 3.01, 0.2):
        h = keep(best > (1 + w) * p[:, 0])
        if h["no_error"] > xs.max():
            break
        t = [np.interp(h["no_error"], xs[order], np.array([x[k] for x in thr])[order]) for k in KEYS]
        print(f"  {w:4.2f}  {h['no_error']:6.2f}  | " + " ".join(f"{h[k]:6.2f}" for k in KEYS) + "  | "
              + " ".join(f"{v:6.2f}" for v in t))


if __name__ == "__main__":
    main()
