"""Diagnostic: what does a mix model make of a *mastered* bounce, and does turning it down help?

The mix models learned on synthetic mixes at -24...-13 LUFS (1st-99th percentile of the training mixes);
a released or mastered bounce sits at -14...-6 LUFS, squeezed by a limiter. This script masters every
rendered flawed mix (mono, at the model's rate) as a mastering engineer would, roughly: one gain to a
target loudness drawn per song within [--target-lo, --target-hi] LUFS (seeded), then pedalboard's
Limiter, threshold -1 dB, peaks made up to about 0 dBFS (``mixbuddy.data.render.master_mix``, which ``data.master`` trains with at
-14...-6 LUFS), and scores the checkpoint's head decision (what the LLM states, at the
checkpoint's threshold) on

  (a) the unmastered mixes (as the evaluation reports do),
  (b) the mastered mixes as they are,
  (c) the mastered mixes turned down by one gain to the training mixes' 99th percentile (only those
      louder than it: what `advise` could do with a bounce louder than anything the model heard),
  (d) the mastered mixes turned down (or up) to the training median.

The rule for adopting (c) in `advise` is written in docs/BENCHMARKS.md ("Mastered bounces") before
this was run; the real-song rows are diagnosis, chosen on nothing.

``--calibrate``: for a model that only hears mastered mixes (advise's fallback for loud ones), also choose
its threshold by calibrate's rule (``mixbuddy.predict.calibrate.choose``) on the *first* dataset mastered as
is (a validation split: refused if it holds test records), and score every row at that threshold too.
``--variants`` picks the rows (a b c d, default all).

    python benchmarks/mastered.py --checkpoint default-real default default-blind
    python benchmarks/mastered.py --checkpoint default-master --calibrate --variants a b
"""
from __future__ import annotations

import argparse
import dataclasses

import numpy as np
from level_shift import Leveled, training_levels

from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import master_mix, open_renderer
from mixbuddy.model.checkpoint import load_checkpoint
from mixbuddy.predict.calibrate import check_calibration_dataset, choose, head_probabilities, tradeoff
from mixbuddy.rng import rng_for


class Mastered:
    """A renderer whose mixes are mastered to a loudness drawn once per song."""

    def __init__(self, renderer, lo: float, hi: float, seed: int = 0):
        self.renderer, self.lo, self.hi, self.seed = renderer, lo, hi, seed
        self.sample_rate = renderer.sample_rate

    def render(self, recipe, **kw):
        out = self.renderer.render(recipe, **kw)
        target = rng_for(self.seed, "master", recipe.song_id).uniform(self.lo, self.hi)
        return dataclasses.replace(out, mix=master_mix(out.mix, self.sample_rate, target))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", nargs="+", default=["default-real"])
    ap.add_argument("--datasets", nargs="+", default=["work/ds-synth/validation.jsonl", "work/ds-real/test.jsonl"])
    ap.add_argument("--train", default="work/ds-synth/train.jsonl")
    ap.add_argument("--cache-dir", default="work/cache")
    ap.add_argument("--target-lo", type=float, default=-12.0)
    ap.add_argument("--target-hi", type=float, default=-8.0)
    ap.add_argument("--max-records", type=int, default=None, help="score a seeded subset of each dataset")
    ap.add_argument("--calibrate", action="store_true", help="choose each model's threshold on the first dataset, "
                    "mastered as is (calibrate's rule), and score at it too")
    ap.add_argument("--variants", nargs="+", choices=list("abcd"), default=list("abcd"))
    a = ap.parse_args()
    models = {c: load_checkpoint(c, device="cpu") for c in a.checkpoint}
    sr = {m.sample_rate for m in models.values()}.pop()
    probe, (p1, p50, p99) = training_levels(a.train, sr, a.cache_dir)
    thresholds = {c: [m.stack.threshold or 0.0] for c, m in models.items()}
    for k, ds in enumerate(a.datasets):
        recs = check_calibration_dataset(ds) if a.calibrate and k == 0 else load_recipes(ds)
        if a.max_records and len(recs) > a.max_records:
            recs = [recs[i] for i in np.sort(np.random.default_rng(0).permutation(len(recs))[:a.max_records])]
        renderer = open_renderer(ds, sr, 1, a.cache_dir)
        mastered = Mastered(renderer, a.target_lo, a.target_hi)
        lv = np.array([probe.loudness(mastered.render(r).mix) for r in recs[::10]])
        print(f"{ds}: {len(recs)} flawed mixes; mastered to LUFS {np.nanmin(lv):.1f}...{np.nanmax(lv):.1f} "
              f"(every 10th)", flush=True)
        variants = {"a": ("unmastered", renderer), "b": ("mastered, as is", mastered),
                    "c": (f"mastered, down to p99 ({p99:.1f})", Leveled(mastered, -np.inf, p99)),
                    "d": (f"mastered, to the median ({p50:.1f})", Leveled(mastered, p50, p50))}
        for c, model in models.items():
            done = {}
            if a.calibrate and k == 0:          # the threshold for mastered mixes, chosen here only
                done["b"] = head_probabilities(model, recs, mastered, 32)
                pick = choose(tradeoff(recs, done["b"]))
                print(f"{c}: threshold chosen on {ds} mastered as is: {pick['threshold']:.2f} (joint "
                      f"{pick['joint']:.1f}, no-error {pick['no_error']:.1f})", flush=True)
                thresholds[c].append(pick["threshold"])
            for v in a.variants:
                name, variant = variants[v]
                probs = done[v] if v in done else head_probabilities(model, recs, variant, 32)
                for row in tradeoff(recs, probs, thresholds[c]):
                    print(f"{c} at {row['threshold']:.2f} on {ds}, {name}: joint {row['joint']:.1f}  stem "
                          f"{row['stem']:.1f}  direction {row['direction']:.1f}  no-error {row['no_error']:.1f}  "
                          f"magnitude {row['magnitude']:.1f}", flush=True)


if __name__ == "__main__":
    main()
