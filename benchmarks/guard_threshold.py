"""Where should the loud-mix guard start? Every 10 s mix of each dataset, as if it were a song, goes to
``--fallback`` (default-master) when its loudness (mono, at the model's rate, as ``advise`` measures a
song) is above ``--checkpoint``'s training mean + z x spread (``trained_mix_loudness``), else to
``--checkpoint`` (default-real); each model decides by its head at its own threshold (what its LLM states).
Prints the routed headline numbers per dataset, mastering variant and z, and how many mixes were routed.

Variants: the mixes as they are, lightly mastered (``master_mix`` to a per-song target within -20...-17,
which lands them around the guard), and mastered (-12...-8, as benchmarks/mastered.py).

    python benchmarks/guard_threshold.py [--z 2.326 1.645 1.282]
"""
from __future__ import annotations

import argparse

import numpy as np
from level_shift import Leveled, Metered
from mastered import Mastered

from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.evaluate.baselines.common import allowed_targets
from mixbuddy.model.checkpoint import load_checkpoint
from mixbuddy.model.levels import trained_mix_loudness
from mixbuddy.model.verdict import decide_batch, headline
from mixbuddy.predict.calibrate import head_probabilities


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", default="default-real")
    ap.add_argument("--fallback", default="default-master")
    ap.add_argument("--z", type=float, nargs="+", default=[2.326, 1.645, 1.282])
    ap.add_argument("--datasets", nargs="+", default=["work/ds-synth/validation.jsonl", "work/ds-real/test.jsonl"])
    ap.add_argument("--cache-dir", default="work/cache")
    a = ap.parse_args()
    main_model, fallback = load_checkpoint(a.checkpoint, device="cpu"), load_checkpoint(a.fallback, device="cpu")
    mean, sd = trained_mix_loudness(main_model)
    print(f"{a.checkpoint}: trained on mixes at {mean:.2f} +- {sd:.2f} LUFS", flush=True)
    sr = main_model.sample_rate
    for ds in a.datasets:
        recs = load_recipes(ds)
        allowed = [allowed_targets(r) for r in recs]
        renderer = open_renderer(ds, sr, 1, a.cache_dir)
        variants = [("as they are", renderer), ("lightly mastered (-20...-17)", Mastered(renderer, -20.0, -17.0)),
                    ("mastered (-12...-8)", Mastered(renderer, -12.0, -8.0))]
        for name, variant in variants:
            metered = Metered(variant, Leveled(renderer, -np.inf, np.inf))   # keeps each mix's loudness
            decided = {}
            for tag, model in (("main", main_model), ("fallback", fallback)):
                probs = head_probabilities(model, recs, metered if tag == "main" else variant, 32)
                decided[tag] = decide_batch(probs, allowed, model.stack.threshold)
            lufs = np.array([metered.lufs[r.id] for r in recs])
            for z in a.z:
                loud = lufs > mean + z * sd
                h = headline(recs, np.where(loud, decided["fallback"], decided["main"]))
                print(f"{ds}, {name}, z {z:g} (above {mean + z * sd:.1f} LUFS: {loud.mean() * 100:.1f}% routed): joint "
                      f"{h['joint']:.1f}  stem {h['stem']:.1f}  direction {h['direction']:.1f}  no-error "
                      f"{h['no_error']:.1f}  magnitude {h['magnitude']:.1f}", flush=True)


if __name__ == "__main__":
    main()
