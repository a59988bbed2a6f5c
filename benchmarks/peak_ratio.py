"""Can a limiter be told by its peaks? For seeded 10 s mixes of the validation split and of the real songs,
unmastered, lightly mastered (targets -20...-17) and mastered (-12...-8, as benchmarks/mastered.py), prints the
1st / 50th / 99th percentile of the loudness (mono, 16 kHz), of the peak-to-loudness ratio (sample peak in dBFS
minus loudness) and of the samples per second within 1 dB of the peak.

    python benchmarks/peak_ratio.py [--records 300]
"""
from __future__ import annotations

import argparse

import numpy as np
from mastered import Mastered

from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.evaluate.baselines.loudness import loudness

SR = 16000


def peak_stats(x: np.ndarray) -> tuple[float, float, float]:
    """(loudness, peak-to-loudness ratio, samples per second within 1 dB of the peak) of a mono clip."""
    lufs, peak = loudness(x, SR), float(np.abs(x).max())
    return lufs, 20 * np.log10(peak + 1e-12) - lufs, float(np.mean(np.abs(x) >= peak * 10 ** (-1 / 20)) * SR)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=300)
    ap.add_argument("--datasets", nargs="+", default=["work/ds-synth/validation.jsonl", "work/ds-real/test.jsonl"])
    a = ap.parse_args()
    for ds in a.datasets:
        recs = load_recipes(ds)
        recs = [recs[i] for i in np.random.default_rng(0).permutation(len(recs))[:a.records]]
        ren = open_renderer(ds, SR, 1, "work/cache")
        for name, r in (("unmastered", ren), ("lightly mastered", Mastered(ren, -20, -17)),
                        ("mastered", Mastered(ren, -12, -8))):
            s = np.array([peak_stats(r.render(x).mix[:, 0]) for x in recs])
            s = s[np.isfinite(s).all(1)]
            pct = lambda k: " / ".join(f"{v:.1f}" for v in np.percentile(s[:, k], [1, 50, 99]))  # noqa: E731
            print(f"{ds}, {name}: LUFS {pct(0)}; peak-to-loudness {pct(1)} dB; near-peak samples/s {pct(2)}",
                  flush=True)


if __name__ == "__main__":
    main()
