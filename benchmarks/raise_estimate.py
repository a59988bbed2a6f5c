"""How far off is each guess of a quiet export's bounce gain? (the raise a stems model hears, ``for_song``)

A stems model reads absolute levels, so stems exported quietly are raised before it hears them; the right
raise undoes the export's gain exactly (the model then hears the song at its own level). The gain is unknown
and has to be guessed from the song. Guesses, each "typical level minus the song's level":

* ``mix``: the song's mix (mono BS.1770) against ``--mix-typical`` (advise's raise: the training mixes' median,
  -19.3 LUFS);
* ``anchor``: the anchor stem, the one the producer says is right, against its typical level;
* ``median``: the median over the four stems of each one's distance from its typical level (one stem is
  off; the median is hardly moved by it);

the typical levels being medians over the --train songs (as they are, unflawed). Each --test song gets the
flaws of the protocol (every anchor, every other target, gains -12, -9, -6, -4.5, -3, 0, 3, 4.5, 6, 9, 12 dB);
a guess's error is its raise minus the right one, and the script prints each guess's error spread (all
numbers, no model: what the stems model makes of each guess is ``quiet_bounce.py --guess stems``; docs/BENCHMARKS.md,
"Guessing the export's gain from the stems").

    python benchmarks/raise_estimate.py --train /tmp/s25-synth400/train \\
        --test /tmp/s25-synth400/test /tmp/s25-qsynth/test
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from mixbuddy.constants import STEMS, TARGET_STEMS
from mixbuddy.evaluate.baselines.loudness import loudness
from mixbuddy.predict.windows import load_song

GAINS = (-12, -9, -6, -4.5, -3, 0, 3, 4.5, 6, 9, 12)
RATE = 16000                       # the stems model's rate


def median_guess(lufs: dict[str, float], typical: dict[str, float]) -> float:
    """The median over the stems (those with a typical level and a finite loudness) of how far each sits below
    its typical level, dB; NaN when none does (also quiet_bounce.py --guess stems)."""
    below = [typical[s] - v for s, v in lufs.items() if s in typical and np.isfinite(v)]
    return float(np.median(below)) if below else float("nan")


def levels(folder: Path) -> tuple[dict[str, np.ndarray], dict[str, float], float]:
    """A song's mono stems at RATE, their loudness and their mix's."""
    audio = load_song(None, folder, RATE, 1)
    stems = {s: audio.stems[s][:, 0] for s in STEMS}
    return stems, {s: loudness(x, RATE) for s, x in stems.items()}, audio.lufs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", type=Path, required=True, help="song folders whose levels are the typical ones")
    ap.add_argument("--test", type=Path, nargs="+", required=True, help="folders of song folders to guess on")
    ap.add_argument("--mix-typical", type=float, default=-19.3)
    a = ap.parse_args()
    train = [levels(p) for p in sorted(a.train.iterdir()) if p.is_dir()]
    typical = {s: float(np.median([lv[s] for _, lv, _ in train])) for s in STEMS}
    mixes = [mix for _, _, mix in train]
    print(f"{len(train)} train songs; typical (median) stem loudness: "
          + ", ".join(f"{s} {typical[s]:.2f}" for s in STEMS)
          + f"; their mixes {np.median(mixes):.2f} (p1 {np.percentile(mixes, 1):.2f}) LUFS, mono at {RATE} Hz")
    errors: dict[str, list[float]] = {"mix": [], "anchor": [], "median": []}
    unflawed: dict[str, list[float]] = {k: [] for k in errors}
    n_songs = 0
    for folder in a.test:
        for song in sorted(p for p in folder.iterdir() if p.is_dir()):
            n_songs += 1
            stems, lv, _ = levels(song)
            for anchor in TARGET_STEMS:
                for target in (t for t in TARGET_STEMS if t != anchor):
                    for g in GAINS:
                        if g == 0 and target != min(t for t in TARGET_STEMS if t != anchor):
                            continue                   # the unflawed song once per anchor
                        mix = sum(x * np.float32(10 ** (g / 20)) if s == target else x for s, x in stems.items())
                        lvg = {s: lv[s] + (g if s == target else 0.0) for s in STEMS}
                        guess = {"mix": a.mix_typical - loudness(mix, RATE),
                                 "anchor": typical[anchor] - lvg[anchor],
                                 "median": median_guess(lvg, typical)}
                        for k, v in guess.items():       # the right raise is 0 here: the songs are as made
                            errors[k].append(v)
                            if g == 0:
                                unflawed[k].append(v)
    print(f"{n_songs} test songs, {len(errors['mix'])} versions ({len(unflawed['mix'])} unflawed)")
    print("| guess | mean error dB | sd | mean abs | 90th pct abs | unflawed: mean abs |")
    print("|---|---|---|---|---|---|")
    for k, e in errors.items():
        e = np.asarray(e)
        print(f"| {k} | {e.mean():+.2f} | {e.std():.2f} | {np.abs(e).mean():.2f} | {np.percentile(np.abs(e), 90):.2f} "
              f"| {np.abs(unflawed[k]).mean():.2f} |")


if __name__ == "__main__":
    main()
