"""Diagnosis (nothing shipped): does the four-stem loudness engine lean on real songs because a stem that plays only
part of a window is measured over the part it plays?

BS.1770 integrated loudness gates out the quiet blocks of a signal, so a stem that plays half of a 10 s window reads
as loud as if it played all of it, while it adds half the power to the song. The synthetic training songs' stems
mostly play whole windows; real songs' stems come and go. Measured instead: each stem's K-weighted power over the
whole window, ungated ("window share"). Both priors are fitted on the same training chunks (``work/ds-synth``, from
``mixbuddy corpus synth -o work/synth --config configs/synth.yaml`` and ``mixbuddy data build --corpus-config
configs/corpus/synth.yaml --config configs/data.yaml -o work/ds-synth``), and the loudness engine decides with each on
the three real-dev songs as mixed (taken as balanced) and with their vocals or bass pushed by -9, -4.5, +4.5 and
+9 dB (anchor drums). Printed: song verdicts right, windows right, and per stem how far the gated reading sits above
the window share on the real windows and on the synthetic chunks.

    python benchmarks/window_share.py [--dataset work/ds-synth/train.jsonl]
"""
from __future__ import annotations

import argparse

import numpy as np
import pyloudnorm as pyln

from mixbuddy.constants import STEMS
from mixbuddy.data.recipe import load_recipes
from mixbuddy.data.render import open_renderer
from mixbuddy.evaluate.baselines.bayes import GaussianBalance
from mixbuddy.evaluate.baselines.loudness import loudness
from mixbuddy.predict.advise import advise
from mixbuddy.predict.engines import LoudnessEngine

from master_stems import finding, scratch, song_stems   # this folder is on sys.path
from mixbuddy.audio import write_audio

SR = 22050
PUSHES = (-9.0, -4.5, 4.5, 9.0)
_METER: dict[int, pyln.Meter] = {}


def window_share(x: np.ndarray, sr: int) -> float:
    """K-weighted power of ``x`` over its whole length, ungated, in LUFS (NaN for silence)."""
    meter = _METER.setdefault(sr, pyln.Meter(sr))
    z = np.asarray(x, dtype=np.float64).reshape(x.shape[0], -1)
    for f in meter._filters.values():
        z = f.apply_filter(z.T).T if z.ndim == 2 else f.apply_filter(z)
    power = float(np.sum(np.mean(z ** 2, axis=0)))
    return -0.691 + 10 * np.log10(power) if power > 1e-12 else float("nan")


def fit(dataset: str, measure) -> tuple[GaussianBalance, np.ndarray]:
    """The prior over ``measure`` of each distinct training chunk's stems, and the gated-minus-share gaps."""
    records = load_recipes(dataset)
    renderer = open_renderer(dataset, SR, 2)
    chunks = {}
    for r in records:
        chunks.setdefault((r.song_id, r.start_s), r)
    rows, gaps = [], []
    for key in sorted(chunks):
        win = renderer.window(chunks[key])
        row = [measure(win[s], SR) if s in win and np.isfinite(loudness(win[s], SR)) else float("nan") for s in STEMS]
        rows.append(row)
        gaps.append([loudness(win[s], SR) - window_share(win[s], SR) if s in win else np.nan for s in STEMS])
    return GaussianBalance.fit(np.array(rows)), np.array(gaps)


class ShareEngine(LoudnessEngine):
    """The loudness engine reading each stem's window share under a prior fitted on it."""

    def __init__(self, balance: GaussianBalance):
        super().__init__()
        self.balance = balance

    def level(self, x: np.ndarray) -> float:
        return window_share(x, self.sample_rate)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", default="work/ds-synth/train.jsonl")
    args = ap.parse_args()
    share_prior, synth_gaps = fit(args.dataset, window_share)
    engines = {"gated (shipped)": LoudnessEngine(), "window share": ShareEngine(share_prior)}
    right = dict.fromkeys(engines, 0)
    win_right = dict.fromkeys(engines, 0)
    cases = windows = 0
    real_gaps: dict[str, list[float]] = {s: [] for s in STEMS}
    with scratch("window-share-") as work:
        for song, _, stems in song_stems(44100):
            if song == "example":
                continue
            for s, x in stems.items():
                n = int(10 * 44100)
                for a in range(0, x.shape[0] - n + 1, n):
                    g = loudness(x[a:a + n], 44100)
                    if np.isfinite(g):
                        real_gaps[s].append(g - window_share(x[a:a + n], 44100))
            for target, g in [(None, 0.0)] + [(t, p) for t in ("vocals", "bass") if t in stems for p in PUSHES]:
                folder = work / f"{song}-{target}{g:+}"
                for k, x in stems.items():
                    write_audio(folder / f"{k}.wav", x * np.float32(10 ** (g / 20)) if k == target else x, 44100)
                truth = "balanced" if target is None else (f"{target} {'increase' if g < 0 else 'decrease'}")
                row = []
                for name, engine in engines.items():
                    rep = advise(None, "drums", engine, stems_dir=folder)
                    f = rep.verdict.finding
                    got = "balanced" if f.no_error else f"{f.target} {f.direction}"
                    right[name] += got == truth
                    for w in rep.windows:
                        wf = w.finding
                        win_right[name] += ("balanced" if wf.no_error else f"{wf.target} {wf.direction}") == truth
                    row.append(f"{name}: {finding(rep)}")
                windows += len(rep.windows)
                cases += 1
                print(f"{song} {target or 'as mixed'} {g:+.1f}: " + "; ".join(row), flush=True)
    print(f"\n{cases} songs (3 real-dev songs as mixed, vocals or bass pushed ±4.5, ±9 dB), {windows} windows:")
    for name in engines:
        print(f"  {name:16s}: song verdict right {right[name]} of {cases}, windows right {win_right[name]} of {windows}")
    print("gated minus window share (dB), mean [max] per stem: real windows " + ", ".join(
        f"{s} {np.mean(v):.2f} [{np.max(v):.2f}]" for s, v in real_gaps.items() if v) + "; synthetic chunks " + ", ".join(
        f"{s} {np.nanmean(synth_gaps[:, i]):.2f} [{np.nanmax(synth_gaps[:, i]):.2f}]" for i, s in enumerate(STEMS)))


if __name__ == "__main__":
    main()
