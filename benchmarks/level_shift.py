"""Diagnostic: is the mix model's real-song gap a matter of the mix's absolute level?

The mix head of `default` / `default-real` was trained on un-augmented synthetic mixes, so it can read their
absolute loudness, while a producer's bounce can sit at any level (the script prints each set's spread
of loudness: rendered flawed mixes, mono at the model's rate). This scores
the checkpoint's aux-head decision (what the LLM states; at the checkpoint's own threshold) with every
rendered mix (a) as it is, (b) clamped into the 1st-99th percentile of the training mixes' loudness,
(c) moved to the training median, (d) given one random gain per song (``--song-gain D``: uniform within
±D dB, as songs bounced at arbitrary levels), on the real songs and on validation. Diagnosis only:
nothing is chosen from the real-song rows. ``--by-range`` also splits every row by where each mix's
loudness falls against the training mixes' 1st-99th percentiles (below / inside / above): does a mix
outside the levels the model was trained on get worse answers? (`advise` warns about such windows.)

    python benchmarks/level_shift.py --checkpoint default-real
"""
from __future__ import annotations

import argparse
import dataclasses

import numpy as np
import pyloudnorm as pyln

from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.model.checkpoint import load_checkpoint
from mixbuddy.predict.calibrate import head_probabilities, tradeoff


class SongGain:
    """A renderer whose mixes get one random gain per song, uniform in [-d, +d] dB (seeded by song id): songs
    bounced at arbitrary levels, as producers' are."""

    def __init__(self, renderer, d: float, seed: int = 0):
        self.renderer, self.d, self.seed = renderer, d, seed

    def render(self, recipe, **kw):
        from mixbuddy.rng import rng_for

        out = self.renderer.render(recipe, **kw)
        g = rng_for(self.seed, "song-gain", recipe.song_id).uniform(-self.d, self.d)
        return dataclasses.replace(out, mix=out.mix * np.float32(10 ** (g / 20)))


class Metered:
    """A renderer that records the loudness of every mix it renders (by recipe id)."""

    def __init__(self, renderer, meter: "Leveled"):
        self.renderer, self.meter, self.lufs = renderer, meter, {}

    def render(self, recipe, **kw):
        out = self.renderer.render(recipe, **kw)
        self.lufs[recipe.id] = self.meter.loudness(out.mix)
        return out


class Leveled:
    """A renderer whose mixes are moved (by one gain each) into the loudness range [lo, hi] LUFS."""

    def __init__(self, renderer, lo: float, hi: float):
        self.renderer, self.lo, self.hi = renderer, lo, hi
        self.meter = pyln.Meter(renderer.sample_rate)

    def loudness(self, mix: np.ndarray) -> float:
        return self.meter.integrated_loudness(mix[:, 0].astype(np.float64))

    def render(self, recipe, **kw):
        out = self.renderer.render(recipe, **kw)
        lufs = self.loudness(out.mix)
        if not np.isfinite(lufs) or self.lo <= lufs <= self.hi:
            return out
        gain = np.float32(10 ** ((min(max(lufs, self.lo), self.hi) - lufs) / 20))
        return dataclasses.replace(out, mix=out.mix * gain)


def training_levels(train_path: str, sr: int, cache_dir: str) -> tuple["Leveled", tuple[float, float, float]]:
    """(a loudness meter at ``sr``, the 1st / 50th / 99th percentile of the loudness of 600 seeded training
    flawed mixes, mono at ``sr``), printed."""
    train = load_recipes(train_path)
    train = [train[i] for i in np.random.default_rng(0).permutation(len(train))[:600]]
    probe = Leveled(open_renderer(train_path, sr, 1, cache_dir), -np.inf, np.inf)
    levels = np.array([probe.loudness(probe.render(r).mix) for r in train])
    p1, p50, p99 = (float(v) for v in np.percentile(levels[np.isfinite(levels)], [1, 50, 99]))
    print(f"600 training flawed mixes: LUFS p1 {p1:.1f}, median {p50:.1f}, p99 {p99:.1f}", flush=True)
    return probe, (p1, p50, p99)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default="default-real")
    ap.add_argument("--datasets", nargs="+", default=["work/ds-real/test.jsonl", "work/ds-synth/validation.jsonl"])
    ap.add_argument("--train", default="work/ds-synth/train.jsonl")
    ap.add_argument("--cache-dir", default="work/cache")
    ap.add_argument("--song-gain", type=float, nargs="*", default=[6.0],
                    help="also score with one random gain per song within ±D dB, for each D")
    ap.add_argument("--by-range", action="store_true",
                    help="split every row by the mix's loudness against the training p1..p99 (below/inside/above)")
    ap.add_argument("--max-records", type=int, default=None, help="score a seeded subset of each dataset")
    ap.add_argument("--gain-seeds", type=int, default=3, help="draws of the per-song gains")
    a = ap.parse_args()
    model = load_checkpoint(a.checkpoint, device="cpu")
    sr, th = model.sample_rate, model.stack.threshold
    _, (p1, p50, p99) = training_levels(a.train, sr, a.cache_dir)
    for ds in a.datasets:
        recs = load_recipes(ds)
        if a.max_records and len(recs) > a.max_records:
            recs = [recs[i] for i in np.sort(np.random.default_rng(0).permutation(len(recs))[:a.max_records])]
        renderer = open_renderer(ds, sr, 1, a.cache_dir)
        as_is = Leveled(renderer, -np.inf, np.inf)
        lv = np.array([as_is.loudness(as_is.render(r).mix) for r in recs])
        q5, q50, q95 = np.percentile(lv[np.isfinite(lv)], [5, 50, 95])
        print(f"{ds}: {len(recs)} flawed mixes, LUFS 5th percentile {q5:.1f}, median {q50:.1f}, 95th {q95:.1f}")
        variants = [("as is", Leveled(renderer, -np.inf, np.inf)), ("clamped to p1..p99", Leveled(renderer, p1, p99)),
                    ("all at the median", Leveled(renderer, p50, p50))]
        variants += [(f"one random gain per song within ±{d:g} dB (seed {s})", SongGain(renderer, d, s))
                     for d in a.song_gain for s in range(a.gain_seeds)]
        for name, variant in variants:
            metered = Metered(variant, as_is)
            probs = head_probabilities(model, recs, metered, 32)
            (row,) = tradeoff(recs, probs, [th or 0.0])
            print(f"{a.checkpoint} on {ds}, {name}: joint {row['joint']:.1f}  stem {row['stem']:.1f}  direction "
                  f"{row['direction']:.1f}  no-error {row['no_error']:.1f}  magnitude {row['magnitude']:.1f}", flush=True)
            if a.by_range:
                lufs = np.array([metered.lufs[r.id] for r in recs])
                for part, keep in (("below p1", lufs < p1), ("inside", (lufs >= p1) & (lufs <= p99)),
                                   ("above p99", lufs > p99)):
                    idx = np.flatnonzero(keep)
                    if len(idx):
                        (r,) = tradeoff([recs[i] for i in idx], probs[idx], [th or 0.0])
                        print(f"    {part}: {len(idx)} mixes, joint {r['joint']:.1f}  stem {r['stem']:.1f}  "
                              f"direction {r['direction']:.1f}  no-error {r['no_error']:.1f}", flush=True)


if __name__ == "__main__":
    main()
