"""Diagnostic: how much of the answer does a flawed mix's overall level give away?

A pushed stem moves the whole mix's loudness: up when it is pushed up, down when it is pulled down. Neither
the paper's recipe nor ours normalises the flawed mix, so a system that hears only the mix can read the
direction from the level alone wherever the clean mixes sit at similar levels (the synthetic corpus), and much
less where they do not (real songs, bounced at their own levels). For every error record this renders the
flawed mix as the mix models hear it (mono, 16 kHz), measures its integrated loudness (BS.1770, pyloudnorm),
and scores the rule "louder than the set's median loudness → turn something down": the area under the ROC
curve of loudness for "the correction is a decrease", and the rule's accuracy; and how many of these mixes
the renderer's peak ceiling turned down (its ``peak_scale_db``). Nothing is chosen from it.

    python benchmarks/level_cue.py --datasets work/ds-synth/test.jsonl work/ds-real/test.jsonl
    python benchmarks/level_cue.py --datasets work/ds-synth/test.jsonl work/ds-bounce/test.jsonl
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.stats import mannwhitneyu

from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.evaluate.baselines.loudness import loudness

SR = 16000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", nargs="+", required=True)
    ap.add_argument("--cache-dir", default="work/cache")
    a = ap.parse_args()
    for path in a.datasets:
        t0 = time.perf_counter()
        records = [r for r in load_recipes(path) if r.category != "no_error"]
        renderer = open_renderer(path, SR, 1, a.cache_dir)
        lufs, scaled = np.zeros(len(records)), np.zeros(len(records))   # scaled: the renderer's peak ceiling at work
        for i, r in enumerate(records):
            out = renderer.render(r)
            lufs[i], scaled[i] = loudness(out.mix, SR), out.info["peak_scale_db"]
        down = np.array([r.gain_db > 0 for r in records])          # pushed up: the advice is to turn it down
        rule = lufs > np.median(lufs)
        auc = mannwhitneyu(lufs[down], lufs[~down]).statistic / (down.sum() * (~down).sum())   # ties count half
        print(f"{path}: {len(records)} error records, flawed-mix loudness {np.percentile(lufs, 5):.1f} … "
              f"{np.percentile(lufs, 95):.1f} LUFS (5th–95th); direction from loudness alone: AUC {auc:.3f}, "
              f"median rule right {100 * np.mean(rule == down):.1f}%; peak ceiling turned {np.sum(scaled < 0)} "
              f"mixes down (mean {scaled[scaled < 0].mean() if np.any(scaled < 0) else 0.0:.1f} dB)  "
              f"[{time.perf_counter() - t0:.0f} s]")


if __name__ == "__main__":
    main()
